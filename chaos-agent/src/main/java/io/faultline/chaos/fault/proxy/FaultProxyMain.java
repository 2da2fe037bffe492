/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * Runs fault proxies as a process of their own, to put between services (the demo does):
 *
 * <pre>
 * java -cp chaos-agent.jar io.faultline.chaos.fault.proxy.FaultProxyMain \
 *   --proxy inventory,http,18203,127.0.0.1:18103 [--proxy name,tcp|http,listenPort,host:port ...] \
 *   [--control 127.0.0.1:18200] [--otlp http://127.0.0.1:4318/v1/traces]
 * </pre>
 *
 * Toxics are added through the control endpoint ({@link ProxyControlServer}), each with a lease,
 * so they end by themselves if the agent that added them stops renewing them.
 */
public final class FaultProxyMain {
  private FaultProxyMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    List<String[]> specs = new ArrayList<>();
    String control = "127.0.0.1:18200";
    String otlp = "http://127.0.0.1:4318/v1/traces";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        usage("missing value after " + a);
      }
      switch (a) {
        case "--proxy" -> specs.add(args[++i].split(","));
        case "--control" -> control = args[++i];
        case "--otlp" -> otlp = args[++i];
        default -> usage("unknown option " + a);
      }
    }
    if (specs.isEmpty()) {
      usage("give at least one --proxy");
    }
    HttpClient http = HttpClient.newHttpClient();
    OtlpHttpSink sink = new OtlpHttpSink(http, URI.create(otlp));
    FaultProxies proxies = new FaultProxies();
    for (String[] s : specs) {
      if (s.length != 4 || s[3].lastIndexOf(':') < 0) {
        usage("--proxy takes name,tcp|http,listenPort,upstreamHost:port, got " + String.join(",", s));
      }
      int colon = s[3].lastIndexOf(':');
      proxies.register(FaultProxy.builder(s[0])
          .protocol(FaultProxy.Protocol.valueOf(s[1].toUpperCase(Locale.ROOT)))
          .listen("127.0.0.1", Integer.parseInt(s[2]))
          .upstream(s[3].substring(0, colon), Integer.parseInt(s[3].substring(colon + 1)))
          .sink(sink)
          .start());
    }
    int colon = control.lastIndexOf(':');
    ProxyControlServer server = new ProxyControlServer(
        proxies, Clock.systemUTC(), control.substring(0, colon), Integer.parseInt(control.substring(colon + 1)));
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      proxies.closeAll();
      stop.countDown();
    }));
    stop.await();
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println("usage: FaultProxyMain --proxy name,tcp|http,listenPort,upstreamHost:port [--proxy ...]"
        + " [--control host:port] [--otlp http://host:4318/v1/traces]");
    System.exit(2);
  }
}
