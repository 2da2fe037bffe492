/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.prometheus;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One endpoint to scrape, as one entry of a Prometheus {@code static_configs} target list. Every
 * series scraped from it gets {@code job} and {@code instance} (the address) and the extra {@code
 * labels}; a scraped label of the same name is kept as {@code exported_<name>}, as Prometheus does
 * without {@code honor_labels}.
 *
 * @param job the job name ({@code job} label)
 * @param address {@code host:port} ({@code instance} label)
 * @param scheme {@code http} or {@code https}
 * @param metricsPath the path, starting with {@code /}
 * @param interval how often; at least 100 ms
 * @param timeout how long one scrape may take; at most {@code interval}
 * @param labels extra labels for every series; names as Prometheus allows, not {@code job},
 *     {@code instance} or {@code __name__}
 * @param access credentials and TLS trust for a protected target; null is {@link ScrapeAccess#NONE}
 */
public record ScrapeTarget(
    String job,
    String address,
    String scheme,
    String metricsPath,
    Duration interval,
    Duration timeout,
    Map<String, String> labels,
    ScrapeAccess access) {

  /** Prometheus' default. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(15);

  /** Prometheus' default. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  public static final String DEFAULT_METRICS_PATH = "/metrics";

  private static final Duration MIN_INTERVAL = Duration.ofMillis(100);

  public ScrapeTarget {
    requireText(job, "job");
    requireText(address, "address");
    Objects.requireNonNull(scheme, "scheme");
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(
          "scrape target " + address + ": scheme must be http or https, got '" + scheme + "'");
    }
    requireText(metricsPath, "metricsPath");
    if (!metricsPath.startsWith("/")) {
      throw new IllegalArgumentException(
          "scrape target " + address + ": metrics_path must start with '/', got '" + metricsPath + "'");
    }
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(timeout, "timeout");
    if (interval.compareTo(MIN_INTERVAL) < 0) {
      throw new IllegalArgumentException(
          "scrape target " + address + ": interval must be at least 100ms, got " + interval);
    }
    if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException(
          "scrape target "
              + address
              + ": timeout must be positive and at most the interval ("
              + interval
              + "), got "
              + timeout);
    }
    URI uri = URI.create(scheme + "://" + address + metricsPath);
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException(
          "scrape target address must be host:port, got '" + address + "'");
    }
    labels = Map.copyOf(new TreeMap<>(Objects.requireNonNull(labels, "labels")));
    access = access == null ? ScrapeAccess.NONE : access;
    for (Map.Entry<String, String> e : labels.entrySet()) {
      String name = e.getKey();
      boolean valid = !name.isEmpty();
      for (int i = 0; valid && i < name.length(); i++) {
        valid = ExpositionParser.isLabelNameChar(name.charAt(i), i == 0);
      }
      if (!valid || name.startsWith("__") || name.equals("job") || name.equals("instance")) {
        throw new IllegalArgumentException(
            "scrape target "
                + address
                + ": '"
                + name
                + "' cannot be a target label (a Prometheus label name, not job, instance or"
                + " starting with __)");
      }
      Objects.requireNonNull(e.getValue(), "label value");
    }
  }

  /** A target that needs no credentials and trusts the JVM's certificates. */
  public ScrapeTarget(
      String job,
      String address,
      String scheme,
      String metricsPath,
      Duration interval,
      Duration timeout,
      Map<String, String> labels) {
    this(job, address, scheme, metricsPath, interval, timeout, labels, ScrapeAccess.NONE);
  }

  /** A target with every default: http, /metrics, 15 s, 10 s, no extra labels. */
  public static ScrapeTarget of(String job, String address) {
    return new ScrapeTarget(
        job, address, "http", DEFAULT_METRICS_PATH, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, Map.of());
  }

  /**
   * The targets of one {@code static_configs} job: one per address, sharing the rest.
   *
   * @throws IllegalArgumentException naming the first invalid setting
   */
  public static List<ScrapeTarget> job(
      String job,
      List<String> addresses,
      String scheme,
      String metricsPath,
      Duration interval,
      Duration timeout,
      Map<String, String> labels,
      ScrapeAccess access) {
    List<ScrapeTarget> out = new ArrayList<>();
    for (String address : addresses) {
      out.add(new ScrapeTarget(job, address, scheme, metricsPath, interval, timeout, labels, access));
    }
    return List.copyOf(out);
  }

  /** Where the scraper sends its GET. */
  public URI uri() {
    return URI.create(scheme + "://" + address + metricsPath);
  }

  /** Job, scheme, address and path: two targets with the same key are the same target. */
  public String key() {
    return job + " " + uri();
  }

  private static void requireText(String s, String name) {
    Objects.requireNonNull(s, name);
    if (s.isBlank()) {
      throw new IllegalArgumentException("scrape target " + name + " must not be blank");
    }
  }
}
