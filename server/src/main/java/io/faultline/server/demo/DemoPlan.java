/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The processes the demo runs and how each is started: the platform ({@code server} command of
 * this same jar with a generated config), the shop's Spring Boot services with small heaps and
 * fast-start flags, the fault proxy, and the traffic generator. Downstream URLs are passed
 * explicitly, which is how the fault proxy gets between gateway and inventory and between orders
 * and payments: the caller's URL for that downstream points at the proxy.
 */
final class DemoPlan {
  /** Start order and port order: {@code servicePortBase + index}. */
  static final List<String> SERVICES = List.of("gateway", "orders", "inventory", "payments", "notifications");

  /** A fault proxy between a caller and one of its downstreams, named for the chaos agent. */
  record Proxy(String name, String caller, String callee) {}

  /** Port order after the services: {@code servicePortBase + SERVICES.size() + index}. */
  static final List<Proxy> PROXIES =
      List.of(new Proxy("gateway-inventory", "gateway", "inventory"), new Proxy("orders-payments", "orders", "payments"));

  /** Ports the demo takes from {@code servicePortBase} on: services, proxies, the proxies' control endpoint. */
  static final int PORTS = SERVICES.size() + PROXIES.size() + 1;

  static final String PLATFORM = "faultline";
  static final String FAULT_PROXY = "fault-proxy";
  static final String TRAFFIC = "traffic";
  static final String API_KEY = "demo-key";

  /** Small heaps and C1 only: the services start in a few seconds and stay small. */
  static final List<String> SERVICE_JVM_FLAGS =
      List.of("-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:MaxMetaspaceSize=160m");

  static final List<String> PLATFORM_JVM_FLAGS = List.of("-Xms128m", "-Xmx768m", "-XX:+UseSerialGC", "-Xshare:auto");

  /** One child process: its name (also its log file's), command line and readiness URL (null: none). */
  record Child(String name, List<String> command, Map<String, String> env, String healthUrl) {}

  private final DemoOptions o;

  DemoPlan(DemoOptions options) {
    this.o = options;
  }

  Path configFile() {
    return o.dataDir().resolve("demo-config.yml");
  }

  Path serviceJar(String name) {
    return o.servicesDir().resolve(name).resolve("target").resolve(name + ".jar");
  }

  Child platform() {
    List<String> cmd = new ArrayList<>();
    cmd.add(o.javaBin().toString());
    cmd.addAll(PLATFORM_JVM_FLAGS);
    cmd.add("-jar");
    cmd.add(o.serverJar().toString());
    cmd.add("server");
    cmd.add(configFile().toString());
    return new Child(PLATFORM, cmd, Map.of(), "http://127.0.0.1:" + o.adminPort() + "/ping");
  }

  List<Child> services() {
    List<Child> children = new ArrayList<>();
    for (String name : SERVICES) {
      List<String> cmd = new ArrayList<>();
      cmd.add(o.javaBin().toString());
      cmd.addAll(SERVICE_JVM_FLAGS);
      cmd.add("-jar");
      cmd.add(serviceJar(name).toString());
      serviceArgs(name).forEach((k, v) -> cmd.add("--" + k + "=" + v));
      // a secret goes in the environment: command lines show up in ps and in OTel resource attributes
      children.add(new Child(name, cmd, Map.of("SHOP_CHAOS_PASSWORD", o.chaosPassword()), url(name) + "/actuator/health"));
    }
    return children;
  }

  /** Spring properties of one service: its port, where it sends telemetry, its downstreams. */
  Map<String, String> serviceArgs(String name) {
    Map<String, String> args = new LinkedHashMap<>();
    args.put("server.port", Integer.toString(o.servicePort(name)));
    args.put("server.address", "127.0.0.1");
    args.put("otel.exporter.otlp.endpoint", "http://127.0.0.1:" + o.otlpHttpPort());
    args.put("shop.logstash.destination", "127.0.0.1:" + o.logstashPort());
    switch (name) {
      case "gateway" -> {
        args.put("shop.gateway.api-keys", API_KEY);
        args.put("shop.gateway.routes.products", via("gateway", "inventory"));
        args.put("shop.gateway.routes.carts", url("orders"));
        args.put("shop.gateway.routes.orders", url("orders"));
        args.put("shop.gateway.routes.notifications", url("notifications"));
      }
      case "orders" -> {
        args.put("shop.inventory.url", url("inventory"));
        args.put("shop.payments.url", via("orders", "payments"));
        args.put("shop.notifications.url", url("notifications"));
      }
      case "payments" -> args.put("shop.bank.url", url("payments"));
      default -> {
        // inventory and notifications call no one
      }
    }
    return args;
  }

  /**
   * The fault proxies as one process of this same jar (the chaos agent's classes are in it); they
   * report their spans to the platform, and the agent adds faults through the control endpoint.
   */
  Child faultProxy() {
    List<String> cmd = new ArrayList<>();
    cmd.add(o.javaBin().toString());
    cmd.addAll(List.of("-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
    cmd.add("-cp");
    cmd.add(o.serverJar().toString());
    cmd.add("io.faultline.chaos.fault.proxy.FaultProxyMain");
    for (Proxy p : PROXIES) {
      cmd.add("--proxy");
      cmd.add(p.name() + ",http," + proxyPort(p) + ",127.0.0.1:" + o.servicePort(p.callee()));
    }
    cmd.addAll(List.of("--control", "127.0.0.1:" + controlPort()));
    cmd.addAll(List.of("--otlp", "http://127.0.0.1:" + o.otlpHttpPort() + "/v1/traces"));
    return new Child(FAULT_PROXY, cmd, Map.of(), controlUrl() + "/proxies");
  }

  int proxyPort(Proxy p) {
    return o.servicePortBase() + SERVICES.size() + PROXIES.indexOf(p);
  }

  int controlPort() {
    return o.servicePortBase() + SERVICES.size() + PROXIES.size();
  }

  /** The fault proxies' control endpoint, the {@code controlUrl} of {@code proxy-http} faults. */
  String controlUrl() {
    return "http://127.0.0.1:" + controlPort();
  }

  /** Where {@code caller} reaches {@code callee}: through its fault proxy if there is one. */
  String via(String caller, String callee) {
    return PROXIES.stream()
        .filter(p -> p.caller().equals(caller) && p.callee().equals(callee))
        .findFirst()
        .map(p -> "http://127.0.0.1:" + proxyPort(p))
        .orElse(url(callee));
  }

  Child traffic() {
    List<String> cmd = new ArrayList<>();
    cmd.add(o.javaBin().toString());
    cmd.addAll(List.of("-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
    cmd.add("-jar");
    cmd.add(o.servicesDir().resolve(TRAFFIC).resolve("target").resolve(TRAFFIC + ".jar").toString());
    cmd.addAll(List.of("--gateway", url("gateway"), "--api-key", API_KEY, "--rate", Double.toString(o.trafficRate())));
    cmd.addAll(List.of("--duration", Long.toString(o.trafficDuration().toSeconds())));
    return new Child(TRAFFIC, cmd, Map.of(), null);
  }

  /** Every jar the demo runs; the ones missing are reported before anything starts. */
  List<Path> jars() {
    List<Path> jars = new ArrayList<>();
    jars.add(o.serverJar());
    SERVICES.forEach(s -> jars.add(serviceJar(s)));
    jars.add(o.servicesDir().resolve(TRAFFIC).resolve("target").resolve(TRAFFIC + ".jar"));
    return jars;
  }

  String url(String service) {
    return "http://127.0.0.1:" + o.servicePort(service);
  }
}
