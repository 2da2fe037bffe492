/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.faultline.core.alert.ActiveAlert;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule evaluation against real Prometheus (Debian's 2.42): one rule file (the examples of
 * Prometheus' recording- and alerting-rule docs plus rules over ranges and recorded series, with
 * {@code for} and {@code keep_firing_for}) over the same seeded series, evaluated every minute by
 * Prometheus' own rule engine and by {@link Alerting}. Recorded series, {@code ALERTS} and
 * {@code ALERTS_FOR_STATE} must be equal at every minute (values within a relative 1e-9), and so
 * must the firing alerts with their expanded labels and annotations.
 *
 * <p>Prometheus' side runs {@code promtool test rules}: it loads the series into a TSDB and runs
 * {@code rules.Manager}'s group evaluation on a simulated clock, minute by minute, exactly as the
 * server would. (A running server evaluates rules only at wall-clock now, and {@code promtool tsdb
 * create-blocks-from rules} ignores alerting rules, so neither could replay an hour of alert
 * states.) The test cases are written with no expectations, so promtool prints what it got for
 * each; that output is parsed here. Skipped when {@code promtool} is not on the PATH. Rerun one
 * data set with {@code -Dfaultline.comparison.seed=N} (the seed is printed).
 */
class AlertingPrometheusComparisonIT {
  private static final long MIN = 60_000;
  /**
   * Samples every 77 s: 77 and 60 are coprime, so within the 75 minutes compared no sample but
   * the one at 0 (left out) sits on the boundary of a range or lookback that starts a whole
   * minute before an evaluation. There 2.42 includes the sample and Prometheus 3, which Faultline
   * follows, does not.
   */
  private static final long STEP = 77_000;
  /** Samples at 1..SAMPLES times STEP, about an hour. */
  private static final int SAMPLES = 46;
  /** Evaluations run past the data (minutes), until every series has gone stale. */
  private static final int EVAL_MINUTES = 75;
  /** Faultline's data starts here; promtool's starts at the Unix epoch. */
  private static final long BASE = TestMetrics.NOW.toEpochMilli();

  private static final String RULES = "prometheus-comparison.yml";
  private static final List<String> ALERT_NAMES = List.of(
      "HighRequestLatency", "InstanceDown", "APIHighRequestLatency", "Flapping", "JobDegraded");
  private static final List<String> EXPRS = List.of(
      "code:prometheus_http_requests_total:sum", "code:prometheus_http_requests:rate4m",
      "job:request_latency_seconds:mean5m", "job:up:avg_over_time5m", "ALERTS",
      "ALERTS_FOR_STATE");

  private static final Pattern EXPR_HEADER = Pattern.compile("^\\s+expr: \"(.*)\", time: (\\S+),$");
  private static final Pattern ALERT_HEADER = Pattern.compile("^\\s+alertname: (\\S+), time: (\\S+), ?$");
  private static final Pattern GO_DURATION = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

  @TempDir Path dir;

  @Test
  void faultlineEvaluatesRulesAsPrometheusDoes() throws Exception {
    Path promtool = findOnPath("promtool");
    Assumptions.assumeTrue(promtool != null,
        "skipped: 'promtool' must be on the PATH to compare rule evaluation with Prometheus"
            + " (Debian: apt-get install prometheus)");
    long seed = Long.getLong("faultline.comparison.seed", System.nanoTime());
    System.out.println("AlertingPrometheusComparisonIT seed " + seed
        + " (rerun with -Dfaultline.comparison.seed=" + seed + ")");
    Map<Map<String, String>, String[]> data = dataset(new Random(seed));
    try (InputStream in = getClass().getResourceAsStream("/rules/" + RULES)) {
      Files.copy(Objects.requireNonNull(in, RULES + " on the test class path"), dir.resolve(RULES));
    }

    Prometheus prom = prometheus(promtool, data);
    assertThat(prom.samples.values().stream().mapToInt(List::size).sum())
        .as("samples Prometheus returned (else the comparison proves little)").isGreaterThan(200);
    assertThat(prom.alerts.values().stream().mapToInt(List::size).sum())
        .as("firing alerts in Prometheus (seed %d)", seed).isPositive();

    List<String> differences = new ArrayList<>();
    int compared = 0;
    try (TestMetrics m = new TestMetrics(dir)) {
      m.clock.set(Instant.ofEpochMilli(BASE + EVAL_MINUTES * MIN));
      data.forEach((labels, values) -> m.series(flatten(labels), points(values)));
      AlertingConfig c = new AlertingConfig();
      c.ruleFiles = List.of(RULES);
      c.reloadCheckInterval = "0";
      Map<String, List<Alert>> firing = new HashMap<>();
      try (Alerting alerting = Alerting.builder(c, m.store.queries(), m, dir.resolve("data"))
          .baseDir(dir).clock(m.clock).build()) {
        for (int k = 0; k <= EVAL_MINUTES; k++) {
          m.clock.set(Instant.ofEpochMilli(BASE + k * MIN));
          alerting.tick();
          for (ActiveAlert a : alerting.activeAlerts()) {
            if (a.state() == ActiveAlert.State.FIRING) {
              firing.computeIfAbsent(a.name() + "@" + k, x -> new ArrayList<>())
                  .add(new Alert(new TreeMap<>(a.labels()), new TreeMap<>(a.annotations())));
            }
          }
        }
      }
      for (int k = 0; k <= EVAL_MINUTES; k++) {
        for (String expr : EXPRS) {
          compared++;
          Map<Map<String, String>, Double> got = new TreeMap<>(BY_LABELS);
          m.vector(expr, BASE + k * MIN).forEach((l, v) ->
              got.put(l, expr.equals("ALERTS_FOR_STATE") ? v - BASE / 1000.0 : v));
          Map<Map<String, String>, Double> want = new TreeMap<>(BY_LABELS);
          prom.samples.getOrDefault(expr + "@" + k, List.of()).forEach(s -> want.put(s.labels, s.value));
          if (!same(want, got)) {
            differences.add(expr + " at minute " + k + ":\n    Prometheus: " + want
                + "\n    Faultline:  " + got);
          }
        }
        for (String alert : ALERT_NAMES) {
          compared++;
          List<Alert> want = sorted(prom.alerts.getOrDefault(alert + "@" + k, List.of()));
          List<Alert> got = sorted(firing.getOrDefault(alert + "@" + k, List.of()));
          if (!want.equals(got)) {
            differences.add("firing " + alert + " at minute " + k + ":\n    Prometheus: " + want
                + "\n    Faultline:  " + got);
          }
        }
      }
    }
    long nonEmpty = prom.samples.values().stream().filter(l -> !l.isEmpty()).count()
        + prom.alerts.values().stream().filter(l -> !l.isEmpty()).count();
    System.out.printf("%d comparisons (%d where Prometheus had data), %d differ; firing in"
        + " Prometheus: %s%n", compared, nonEmpty, differences.size(), prom.alerts.keySet().stream()
            .map(k -> k.substring(0, k.indexOf('@'))).distinct().sorted().toList());
    assertThat(nonEmpty).as("comparisons where Prometheus had data").isGreaterThan(compared / 3);
    if (!differences.isEmpty()) {
      fail("%d of %d comparisons differ from Prometheus (seed %d); the first ones:%n%s",
          differences.size(), compared, seed,
          String.join("\n", differences.stream().limit(12).toList()));
    }
  }

  /**
   * Seeded series, one value per step as decimal text (so both sides parse the same doubles);
   * null where a series has no sample; index 0 is never written (see {@link #STEP}). Counters
   * start far from zero, and the reset halves the counter: near zero, rate()'s extrapolation
   * differs between 2.42 and Prometheus 3 (zero-point clamp before or after the half-interval
   * rule). Instances go down for a few minutes, latencies move in phases around the alert
   * thresholds, and one instance's series end early.
   */
  private static Map<Map<String, String>, String[]> dataset(Random rnd) {
    Map<Map<String, String>, String[]> out = new LinkedHashMap<>();
    int n = SAMPLES + 1;
    for (String[] s : new String[][] {{"200", "/api/v1/query", "60"}, {"500", "/api/v1/query", "4"},
        {"200", "/metrics", "20"}}) {
      String[] v = new String[n];
      long total = 10_000 + rnd.nextInt(10_000);
      int reset = s[0].equals("500") ? 10 + rnd.nextInt(30) : -1;
      for (int i = 0; i < n; i++) {
        total = i == reset ? total / 2 : total + rnd.nextInt(Integer.parseInt(s[2]));
        v[i] = Long.toString(total);
      }
      out.put(labels("prometheus_http_requests_total", "code", s[0], "handler", s[1],
          "instance", "localhost:9090", "job", "prometheus"), v);
    }
    for (String job : List.of("myjob", "other")) {
      String[] count = new String[n];
      String[] sum = new String[n];
      BigDecimal c = BigDecimal.valueOf(10_000 + rnd.nextInt(10_000));
      BigDecimal total = c.multiply(BigDecimal.valueOf(3, 1));
      BigDecimal latency = BigDecimal.ZERO;
      int phaseLeft = 0;
      boolean high = rnd.nextBoolean();
      for (int i = 0; i < n; i++) {
        if (phaseLeft-- <= 0) {
          high = !high;
          phaseLeft = 4 + rnd.nextInt(16);
          latency = BigDecimal.valueOf(high ? 55 + rnd.nextInt(50) : 20 + rnd.nextInt(25), 2);
        }
        int calls = 10 + rnd.nextInt(20);
        c = c.add(BigDecimal.valueOf(calls));
        total = total.add(latency.multiply(BigDecimal.valueOf(calls)));
        count[i] = c.toPlainString();
        sum[i] = total.toPlainString();
      }
      out.put(labels("request_latency_seconds_count", "instance", "app:8080", "job", job), count);
      out.put(labels("request_latency_seconds_sum", "instance", "app:8080", "job", job), sum);
    }
    for (String instance : List.of("a:80", "b:80", "c:80")) {
      String[] v = new String[n];
      int downLeft = 0;
      int last = instance.equals("c:80") ? 30 + rnd.nextInt(10) : n - 1;
      for (int i = 0; i < n; i++) {
        if (downLeft == 0 && rnd.nextInt(100) < 8) {
          downLeft = 1 + rnd.nextInt(8);
        }
        v[i] = i > last ? null : downLeft > 0 ? "0" : "1";
        downLeft = Math.max(0, downLeft - 1);
      }
      out.put(labels("up", "instance", instance, "job", "api"), v);
      for (String quantile : List.of("0.5", "0.9")) {
        String[] q = new String[n];
        BigDecimal value = BigDecimal.ZERO;
        for (int i = 0; i < n; i++) {
          if (i % (3 + rnd.nextInt(12)) == 0) {
            value = BigDecimal.valueOf(50 + rnd.nextInt(100) + (quantile.equals("0.9") ? 60 : 0), 2);
          }
          q[i] = i > last ? null : value.toPlainString();
        }
        out.put(labels("api_http_request_latencies_second", "instance", instance, "job", "api",
            "quantile", quantile), q);
      }
    }
    return out;
  }

  private static Map<String, String> labels(String name, String... pairs) {
    Map<String, String> l = new TreeMap<>();
    l.put("__name__", name);
    for (int i = 0; i < pairs.length; i += 2) {
      l.put(pairs[i], pairs[i + 1]);
    }
    return l;
  }

  private static String[] flatten(Map<String, String> labels) {
    List<String> out = new ArrayList<>();
    labels.forEach((k, v) -> {
      out.add(k);
      out.add(v);
    });
    return out.toArray(String[]::new);
  }

  private static double[] points(String[] values) {
    List<Double> out = new ArrayList<>();
    for (int i = 1; i < values.length; i++) {
      if (values[i] != null) {
        out.add((double) (BASE + i * STEP));
        out.add(Double.parseDouble(values[i]));
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** Runs promtool over a test file asking for every expression and alert at every minute. */
  private Prometheus prometheus(Path promtool, Map<Map<String, String>, String[]> data)
      throws IOException, InterruptedException {
    StringBuilder t = new StringBuilder();
    t.append("rule_files: [").append(RULES).append("]\nevaluation_interval: 1m\ntests:\n");
    t.append("  - interval: ").append(STEP / 1000).append("s\n    input_series:\n");
    data.forEach((labels, values) -> {
      StringBuilder sel = new StringBuilder(labels.get("__name__")).append('{');
      labels.forEach((k, v) -> {
        if (!k.equals("__name__")) {
          sel.append(sel.charAt(sel.length() - 1) == '{' ? "" : ",").append(k).append("=\"")
              .append(v).append('"');
        }
      });
      List<String> vs = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        vs.add(i == 0 || values[i] == null ? "_" : values[i]);
      }
      t.append("      - series: '").append(sel).append("}'\n        values: '")
          .append(String.join(" ", vs)).append("'\n");
    });
    t.append("    alert_rule_test:\n");
    for (int k = 0; k <= EVAL_MINUTES; k++) {
      for (String a : ALERT_NAMES) {
        t.append("      - {eval_time: ").append(k).append("m, alertname: ").append(a).append("}\n");
      }
    }
    t.append("    promql_expr_test:\n");
    for (int k = 0; k <= EVAL_MINUTES; k++) {
      for (String e : EXPRS) {
        t.append("      - {eval_time: ").append(k).append("m, expr: '").append(e).append("'}\n");
      }
    }
    Path test = dir.resolve("promtool-test.yml");
    Files.writeString(test, t);
    Path out = dir.resolve("promtool.out");
    Process p = new ProcessBuilder(promtool.toString(), "test", "rules", test.getFileName().toString())
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException("promtool test rules did not finish in 120 s; its output: " + out);
    }
    String text = Files.readString(out);
    // every case without expectations that got something fails, so 1 is the normal exit here
    if (p.exitValue() != 0 && p.exitValue() != 1 || text.contains(" err: ")
        || text.contains("could not") || text.contains("yaml:")) {
      throw new IllegalStateException("promtool test rules failed (" + p.exitValue() + "): " + text);
    }
    return Prometheus.parse(text);
  }

  /** What promtool printed: samples by "expr@minute" and firing alerts by "alertname@minute". */
  private static final class Prometheus {
    final Map<String, List<Sample>> samples = new HashMap<>();
    final Map<String, List<Alert>> alerts = new HashMap<>();

    static Prometheus parse(String text) {
      Prometheus p = new Prometheus();
      String[] lines = text.split("\n");
      for (int i = 0; i < lines.length; i++) {
        Matcher e = EXPR_HEADER.matcher(lines[i]);
        Matcher a = ALERT_HEADER.matcher(lines[i]);
        if (e.matches()) {
          String key = e.group(1).replace("\\\"", "\"").replace("\\\\", "\\") + "@" + minutes(e.group(2));
          for (i++; i < lines.length && !lines[i].strip().startsWith("got:"); i++) {
            // skips "exp: nil"
          }
          String got = lines[i].strip().substring("got:".length()).strip();
          p.samples.put(key, got.equals("nil") ? List.of() : samples(got));
        } else if (a.matches()) {
          String key = a.group(1) + "@" + minutes(a.group(2));
          List<Alert> list = new ArrayList<>();
          Map<String, String> labels = null;
          for (i++; i < lines.length && !lines[i].strip().equals("]"); i++) {
            String l = lines[i].strip();
            if (l.startsWith("Labels:")) {
              labels = new Cursor(l.substring("Labels:".length())).labels();
            } else if (l.startsWith("Annotations:")) {
              list.add(new Alert(labels, new Cursor(l.substring("Annotations:".length())).labels()));
            }
          }
          p.alerts.put(key, list);
        }
      }
      return p;
    }

    private static List<Sample> samples(String got) {
      List<Sample> out = new ArrayList<>();
      Cursor c = new Cursor(got);
      while (!c.done()) {
        Map<String, String> labels = c.labels();
        c.expect(' ');
        out.add(new Sample(labels, c.number()));
        if (!c.done()) {
          c.expect(',');
          c.expect(' ');
        }
      }
      return out;
    }

    private static int minutes(String goDuration) {
      Matcher m = GO_DURATION.matcher(goDuration.equals("0s") ? "" : goDuration);
      if (!m.matches()) {
        throw new IllegalArgumentException("not a duration from promtool: " + goDuration);
      }
      int h = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
      int min = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
      return h * 60 + min;
    }
  }

  /** Reads Go's {@code labels.Labels.String()} and {@code strconv.FormatFloat(v, 'E', -1, 64)}. */
  private static final class Cursor {
    private final String s;
    private int pos;

    Cursor(String s) {
      this.s = s;
    }

    boolean done() {
      return pos >= s.length();
    }

    void expect(char ch) {
      if (done() || s.charAt(pos) != ch) {
        throw new IllegalArgumentException("expected '" + ch + "' at " + pos + " of: " + s);
      }
      pos++;
    }

    Map<String, String> labels() {
      Map<String, String> out = new TreeMap<>();
      expect('{');
      while (s.charAt(pos) != '}') {
        int eq = s.indexOf('=', pos);
        String name = s.substring(pos, eq);
        pos = eq + 1;
        out.put(name, quoted());
        if (s.charAt(pos) == ',') {
          pos += 2;
        }
      }
      pos++;
      return out;
    }

    private String quoted() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (s.charAt(pos) != '"') {
        char ch = s.charAt(pos++);
        if (ch == '\\') {
          char esc = s.charAt(pos++);
          b.append(switch (esc) {
            case 'n' -> '\n';
            case 't' -> '\t';
            default -> esc;
          });
        } else {
          b.append(ch);
        }
      }
      pos++;
      return b.toString();
    }

    double number() {
      int end = s.indexOf(',', pos);
      String t = s.substring(pos, end < 0 ? s.length() : end);
      pos += t.length();
      return switch (t) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        default -> Double.parseDouble(t);
      };
    }
  }

  private record Sample(Map<String, String> labels, double value) {}

  private record Alert(Map<String, String> labels, Map<String, String> annotations) {
    @Override
    public String toString() {
      return labels + " " + annotations;
    }
  }

  private static final java.util.Comparator<Map<String, String>> BY_LABELS =
      java.util.Comparator.comparing(Object::toString);

  private static List<Alert> sorted(List<Alert> alerts) {
    List<Alert> out = new ArrayList<>(alerts);
    out.sort(java.util.Comparator.comparing(a -> a.labels().toString()));
    return out;
  }

  private static boolean same(Map<Map<String, String>, Double> want, Map<Map<String, String>, Double> got) {
    if (!want.keySet().equals(got.keySet())) {
      return false;
    }
    for (var e : want.entrySet()) {
      double a = e.getValue();
      double b = got.get(e.getKey());
      boolean equal = Double.isNaN(a) ? Double.isNaN(b)
          : a == b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
      if (!equal) {
        return false;
      }
    }
    return true;
  }

  private static Path findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String d : path.split(File.pathSeparator)) {
      Path p = Path.of(d, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
