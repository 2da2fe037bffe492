/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.traffic;

import java.net.URI;
import java.time.Duration;

/**
 * What the generator does: journeys per second against a gateway, think time between steps, and
 * the bounds (a duration, a number of journeys, or both; 0 means unbounded, until stopped).
 */
record TrafficOptions(
    URI gateway,
    String apiKey,
    double journeysPerSecond,
    Duration thinkMin,
    Duration thinkMax,
    Duration duration,
    long maxJourneys,
    int concurrency,
    long seed) {

  static final String USAGE =
      "usage: traffic [--gateway URL] [--api-key KEY] [--rate JOURNEYS_PER_SECOND] [--think MIN_MS-MAX_MS]\n"
          + "               [--duration SECONDS] [--journeys COUNT] [--concurrency N] [--seed N]\n"
          + "  defaults: --gateway http://127.0.0.1:18101 --api-key demo-key --rate 2 --think 100-600\n"
          + "            --duration 0 --journeys 0 (0 = until stopped) --concurrency 8 --seed <time>\n"
          + "  environment: TRAFFIC_GATEWAY, TRAFFIC_API_KEY, TRAFFIC_RATE, TRAFFIC_DURATION";

  TrafficOptions {
    if (!"http".equals(gateway.getScheme()) && !"https".equals(gateway.getScheme())) {
      throw new IllegalArgumentException("--gateway must be an http(s) URL, got " + gateway);
    }
    if (!(journeysPerSecond > 0 && journeysPerSecond <= 1000)) {
      throw new IllegalArgumentException("--rate must be in (0, 1000] journeys per second, got " + journeysPerSecond);
    }
    if (thinkMin.isNegative() || thinkMax.compareTo(thinkMin) < 0) {
      throw new IllegalArgumentException("--think needs 0 <= MIN <= MAX, got " + thinkMin.toMillis() + "-" + thinkMax.toMillis());
    }
    if (duration.isNegative() || maxJourneys < 0) {
      throw new IllegalArgumentException("--duration and --journeys must not be negative");
    }
    if (concurrency < 1 || concurrency > 256) {
      throw new IllegalArgumentException("--concurrency must be in [1, 256], got " + concurrency);
    }
  }

  /** Parses flags over environment variables over defaults; throws IllegalArgumentException with the reason. */
  static TrafficOptions parse(String[] args, java.util.Map<String, String> env, long defaultSeed) {
    String gateway = env.getOrDefault("TRAFFIC_GATEWAY", "http://127.0.0.1:18101");
    String apiKey = env.getOrDefault("TRAFFIC_API_KEY", "demo-key");
    String rate = env.getOrDefault("TRAFFIC_RATE", "2");
    String think = "100-600";
    String duration = env.getOrDefault("TRAFFIC_DURATION", "0");
    String journeys = "0";
    String concurrency = "8";
    String seed = Long.toString(defaultSeed);
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--help") || flag.equals("-h")) {
        throw new IllegalArgumentException("help");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--gateway" -> gateway = value;
        case "--api-key" -> apiKey = value;
        case "--rate" -> rate = value;
        case "--think" -> think = value;
        case "--duration" -> duration = value;
        case "--journeys" -> journeys = value;
        case "--concurrency" -> concurrency = value;
        case "--seed" -> seed = value;
        default -> throw new IllegalArgumentException("unknown flag " + flag);
      }
    }
    String[] range = think.split("-", 2);
    try {
      return new TrafficOptions(
          URI.create(gateway.endsWith("/") ? gateway.substring(0, gateway.length() - 1) : gateway),
          apiKey,
          Double.parseDouble(rate),
          Duration.ofMillis(Long.parseLong(range[0].trim())),
          Duration.ofMillis(Long.parseLong((range.length > 1 ? range[1] : range[0]).trim())),
          Duration.ofSeconds(Long.parseLong(duration)),
          Long.parseLong(journeys),
          Integer.parseInt(concurrency),
          Long.parseLong(seed));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: " + e.getMessage(), e);
    }
  }
}
