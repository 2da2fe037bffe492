/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.server.demo;

import io.faultline.server.OptionCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code faultline demo [--data-dir DIR]}: Faultline plus the sample shop and traffic, on
 * loopback, until Ctrl-C. The platform's ports default to the {@code FAULTLINE_*} variables
 * (through {@code dw.*} properties) or the usual ones; the admin token to {@code
 * FAULTLINE_ADMIN_TOKEN}, else one generated at the first run and kept in the data directory.
 */
public final class DemoCommand extends OptionCommand {
  static final String DEFAULT_DATA_DIR = "./demo-data";
  static final String TOKEN_FILE = "demo-admin-token";

  public DemoCommand() {
    super("demo", "Runs Faultline with a sample shop (microservices) and traffic; Ctrl-C stops everything");
  }

  @Override
  public void configure(Subparser p) {
    p.addArgument("--http-port").type(Integer.class).setDefault(property("dw.server.applicationConnectors[0].port", 8080))
        .help("query APIs and dashboard");
    p.addArgument("--admin-port").type(Integer.class).setDefault(property("dw.server.adminConnectors[0].port", 8081));
    p.addArgument("--otlp-grpc-port").type(Integer.class).setDefault(property("dw.otlp.grpcPort", 4317));
    p.addArgument("--otlp-http-port").type(Integer.class).setDefault(property("dw.otlp.httpPort", 4318));
    p.addArgument("--logstash-port").type(Integer.class).setDefault(5044).help("JSON logs over TCP");
    p.addArgument("--service-port-base").type(Integer.class).setDefault(18101)
        .help("gateway, orders, inventory, payments, notifications listen on this port and the next four;"
            + " the fault proxies (gateway->inventory, orders->payments) and their control endpoint on the three after");
    p.addArgument("--traffic-rate").type(Double.class).setDefault(2.0).help("shopper journeys per second (0: no traffic)");
    p.addArgument("--traffic-duration").type(Long.class).setDefault(0L).help("seconds of traffic (0: until stopped)");
    p.addArgument("--start-timeout").type(Long.class).setDefault(150L).help("seconds for everything to become healthy");
    p.addArgument("--services-dir").help("the sample-services directory (default: beside the server module of this jar)");
    p.addArgument("--chaos-password").setDefault("chaos-demo").help("password of the services' 'chaos' user (Chaos Monkey endpoints)");
  }


  @Override
  public void run(Bootstrap<?> bootstrap, Namespace ns) throws Exception {
    // --data-dir and FAULTLINE_DATA_DIR arrive as dw.dataDir (EnvironmentOverrides)
    Path dataDir = Path.of(System.getProperty("dw.dataDir", DEFAULT_DATA_DIR)).toAbsolutePath().normalize();
    Files.createDirectories(dataDir);
    Path serverJar = runningJar();
    Path servicesDir =
        ns.getString("services_dir") != null
            ? Path.of(ns.getString("services_dir")).toAbsolutePath().normalize()
            : defaultServicesDir(serverJar);
    DemoOptions options =
        new DemoOptions(
            dataDir,
            serverJar,
            servicesDir,
            Path.of(System.getProperty("java.home"), "bin", "java"),
            ns.getInt("http_port"),
            ns.getInt("admin_port"),
            ns.getInt("otlp_grpc_port"),
            ns.getInt("otlp_http_port"),
            ns.getInt("logstash_port"),
            ns.getInt("service_port_base"),
            adminToken(dataDir),
            ns.getString("chaos_password"),
            ns.getDouble("traffic_rate"),
            Duration.ofSeconds(ns.getLong("traffic_duration")),
            Duration.ofSeconds(ns.getLong("start_timeout")));
    new Demo(options, System.out).run();
  }

  private static int property(String name, int fallback) {
    String v = System.getProperty(name);
    try {
      return v == null ? fallback : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " is not a port number: " + v, e);
    }
  }

  /** FAULTLINE_ADMIN_TOKEN if set, else the one kept from an earlier run, else a new one (kept). */
  static String adminToken(Path dataDir) throws IOException {
    String configured = System.getProperty("dw.auth.adminToken");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    Path file = dataDir.resolve(TOKEN_FILE);
    if (Files.isRegularFile(file)) {
      String kept = Files.readString(file).trim();
      if (!kept.isEmpty()) {
        return kept;
      }
    }
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    String token = "demo-" + HexFormat.of().formatHex(secret);
    Files.writeString(file, token + "\n");
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // the data directory's own permissions protect it
    }
    return token;
  }

  private static Path runningJar() throws URISyntaxException {
    Path location = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!Files.isRegularFile(location)) {
      throw new IllegalStateException(
          "the demo starts the platform from its jar, but this runs from " + location
              + "; build it with 'mvn -B package -DskipTests -pl server -am' and run './faultline demo'");
    }
    return location;
  }

  /** {@code <repo>/sample-services} for {@code <repo>/server/target/faultline.jar}, else {@code ./sample-services}. */
  static Path defaultServicesDir(Path serverJar) {
    Path target = serverJar.getParent();
    if (target != null && target.getParent() != null && target.getParent().getParent() != null) {
      Path candidate = target.getParent().getParent().resolve("sample-services");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    return Path.of("sample-services").toAbsolutePath().normalize();
  }
}
