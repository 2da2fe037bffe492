/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import static org.assertj.core.api.Assertions.fail;

import io.faultline.metric.promql.Ast.Expr;
import io.faultline.metric.promql.Ast.VectorSelector;
import io.faultline.metric.storage.InMemorySeriesSource;
import io.faultline.metric.storage.LabelMatcher;
import io.faultline.metric.storage.Labels;
import io.faultline.metric.storage.Series;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs Prometheus' own PromQL test scripts (promqltest format) against {@link PromqlEngine}: one
 * dynamic test per {@code eval}, named {@code file:line}. Cases that need features this engine
 * does not implement (native histograms, experimental syntax) and the known failures listed
 * below are reported as skipped with their reason, never as passes. A summary table is printed
 * at the end.
 *
 * <p>The scripts are read from {@code -Dfaultline.conformance.dir=...} or from {@code
 * ../../shared/conformance} relative to this module; the test skips when neither exists.
 */
class PromqlConformanceTest {
  /** Whole files about features that are out of scope for now. */
  private static final Map<String, String> UNSUPPORTED_FILES =
      Map.of(
          "native_histograms.test", "native histograms are not supported",
          "info.test", "info() is experimental and not supported",
          "fill-modifier.test", "fill modifiers are experimental and not supported",
          "extended_vectors.test", "anchored/smoothed selectors are experimental and not supported",
          "duration_expression.test", "duration expressions are experimental and not supported",
          "type_and_unit.test", "type and unit labels are not supported",
          "start_timestamps.test", "start timestamps are not supported");

  /**
   * Cases that still fail, keyed {@code file:line}, with the reason; reported as skipped "known
   * failure: ...". Empty at the moment: every supported case passes.
   */
  private static final Map<String, String> KNOWN_FAILURES = Map.of();

  private static final Pattern EVAL_INSTANT =
      Pattern.compile("^eval(?:_(fail|warn|ordered|info))?\\s+instant\\s+(?:at\\s+(.+?))?\\s+(.+)$");
  private static final Pattern EVAL_RANGE =
      Pattern.compile(
          "^eval(?:_(fail|warn|info))?\\s+range\\s+from\\s+(.+)\\s+to\\s+(.+)\\s+step\\s+(.+?)\\s+(.+)$");
  private static final Pattern LOAD = Pattern.compile("^load(_with_nhcb)?\\s+(\\S+)$");
  private static final Pattern EXPECT =
      Pattern.compile("^expect\\s+(fail|warn|info|no_warn|no_info|ordered)(?:\\s+(msg|regex):(.*))?$");
  private static final Pattern EXPECT_RANGE_VECTOR =
      Pattern.compile("^expect\\s+range\\s+vector\\s+from\\s+(\\S+)\\s+to\\s+(\\S+)\\s+step\\s+(\\S+)$");
  private static final Pattern EXPECT_STRING = Pattern.compile("^expect\\s+string\\s+(.*)$");

  private static final Map<String, int[]> SUMMARY = new TreeMap<>();
  private static final Object LOCK = new Object();

  enum Outcome {
    PASS,
    FAIL,
    SKIP
  }

  static final class CaseResult {
    final Outcome outcome;
    final String message;

    CaseResult(Outcome outcome, String message) {
      this.outcome = outcome;
      this.message = message;
    }
  }

  static Path conformanceDir() {
    String prop = System.getProperty("faultline.conformance.dir");
    List<Path> candidates = new ArrayList<>();
    if (prop != null && !prop.isBlank()) {
      candidates.add(Paths.get(prop, "promql"));
      candidates.add(Paths.get(prop));
    }
    candidates.add(Paths.get("../../shared/conformance/promql"));
    candidates.add(Paths.get("../shared/conformance/promql"));
    for (Path p : candidates) {
      if (Files.isDirectory(p) && hasTestFiles(p)) {
        return p;
      }
    }
    return null;
  }

  private static boolean hasTestFiles(Path p) {
    try (Stream<Path> s = Files.list(p)) {
      return s.anyMatch(f -> f.toString().endsWith(".test"));
    } catch (IOException e) {
      return false;
    }
  }

  @TestFactory
  Stream<DynamicNode> prometheusScripts() throws IOException {
    Path dir = conformanceDir();
    Assumptions.assumeTrue(
        dir != null,
        "PromQL conformance scripts not found: set -Dfaultline.conformance.dir or place them at"
            + " ../../shared/conformance/promql");
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(f -> f.toString().endsWith(".test")).sorted().collect(Collectors.toList());
    }
    List<DynamicNode> nodes = new ArrayList<>();
    for (Path f : files) {
      String file = f.getFileName().toString();
      List<DynamicTest> tests = new ArrayList<>();
      for (Map.Entry<Integer, CaseResult> c : new ScriptRunner(file, Files.readAllLines(f, StandardCharsets.UTF_8)).run().entrySet()) {
        CaseResult r = c.getValue();
        String name = file + ":" + c.getKey();
        record(file, r.outcome);
        if (r.outcome != Outcome.PASS && Boolean.getBoolean("faultline.conformance.verbose")) {
          System.out.println(r.outcome + " " + name + ": " + r.message);
        }
        tests.add(
            DynamicTest.dynamicTest(
                name,
                () -> {
                  switch (r.outcome) {
                    case SKIP:
                      Assumptions.abort(r.message);
                      break;
                    case FAIL:
                      fail(name + ": " + r.message);
                      break;
                    default:
                      break;
                  }
                }));
      }
      nodes.add(DynamicContainer.dynamicContainer(file, tests));
    }
    return nodes.stream();
  }

  private static void record(String file, Outcome o) {
    synchronized (LOCK) {
      int[] c = SUMMARY.computeIfAbsent(file, k -> new int[3]);
      c[o.ordinal()]++;
    }
  }

  @AfterAll
  static void printSummary() {
    synchronized (LOCK) {
      if (SUMMARY.isEmpty()) {
        return;
      }
      StringBuilder sb = new StringBuilder("\nPromQL conformance summary\n");
      sb.append(String.format(Locale.ROOT, "%-28s %7s %7s %8s%n", "file", "passed", "failed", "skipped"));
      int[] total = new int[3];
      for (Map.Entry<String, int[]> e : SUMMARY.entrySet()) {
        int[] c = e.getValue();
        sb.append(String.format(Locale.ROOT, "%-28s %7d %7d %8d%n", e.getKey(), c[0], c[1], c[2]));
        for (int i = 0; i < 3; i++) {
          total[i] += c[i];
        }
      }
      sb.append(String.format(Locale.ROOT, "%-28s %7d %7d %8d%n", "TOTAL", total[0], total[1], total[2]));
      sb.append("known failures listed in the test: ").append(KNOWN_FAILURES.size()).append('\n');
      System.out.println(sb);
    }
  }

  // ------------------------------------------------------------------ script interpretation

  static final class ExpectedSeries {
    final Labels labels;
    final List<Double> values;

    ExpectedSeries(Labels labels, List<Double> values) {
      this.labels = labels;
      this.values = values;
    }
  }

  static final class EvalCase {
    int line;
    String query;
    boolean range;
    long start;
    long end;
    long step;
    boolean expectFail;
    String failMsg;
    String failRegex;
    boolean ordered;
    boolean noWarn;
    boolean noInfo;
    final List<String[]> warnExpect = new ArrayList<>();
    final List<String[]> infoExpect = new ArrayList<>();
    String expectString;
    Long rvStart;
    Long rvStep;
    Double scalarExpect;
    final List<ExpectedSeries> series = new ArrayList<>();
    String skip;
  }

  /** Executes one file's commands in order and records the outcome of every eval. */
  static final class ScriptRunner {
    private final String file;
    private final List<String> lines;
    private InMemorySeriesSource store = new InMemorySeriesSource();
    private final Set<Labels> histogramSeries = new HashSet<>();
    private final Map<Integer, CaseResult> results = new LinkedHashMap<>();
    private String loadProblem;

    ScriptRunner(String file, List<String> lines) {
      this.file = file;
      this.lines = lines;
    }

    Map<Integer, CaseResult> run() {
      int i = 0;
      while (i < lines.size()) {
        String raw = lines.get(i);
        String l = raw.trim();
        if (l.isEmpty() || l.startsWith("#")) {
          i++;
          continue;
        }
        int cmdLine = i + 1;
        List<String> body = new ArrayList<>();
        int j = i + 1;
        while (j < lines.size()) {
          String b = lines.get(j).trim();
          if (b.isEmpty()) {
            break;
          }
          if (b.startsWith("load") || b.startsWith("clear") || b.startsWith("eval")) {
            break;
          }
          if (!b.startsWith("#")) {
            body.add(b);
          }
          j++;
        }
        i = j;
        if (l.equals("clear")) {
          store = new InMemorySeriesSource();
          histogramSeries.clear();
          loadProblem = null;
        } else if (l.startsWith("load")) {
          try {
            load(l, body, cmdLine);
          } catch (RuntimeException e) {
            loadProblem = "load at line " + cmdLine + " failed: " + e;
          }
        } else if (l.startsWith("eval")) {
          CaseResult r;
          try {
            r = eval(l, body, cmdLine);
          } catch (RuntimeException | AssertionError e) {
            r = new CaseResult(Outcome.FAIL, "harness error: " + e);
          }
          String known = KNOWN_FAILURES.get(file + ":" + cmdLine);
          if (known != null && r.outcome == Outcome.FAIL) {
            r = new CaseResult(Outcome.SKIP, "known failure: " + known);
          }
          results.put(cmdLine, r);
        } else {
          throw new IllegalStateException(file + ":" + cmdLine + ": unknown command " + l);
        }
      }
      return results;
    }

    private void load(String cmd, List<String> body, int line) {
      Matcher m = LOAD.matcher(cmd);
      if (!m.matches()) {
        throw new IllegalStateException(file + ":" + line + ": bad load command " + cmd);
      }
      boolean nhcb = m.group(1) != null;
      long interval = parseTime(m.group(2));
      for (String s : body) {
        int split = seriesEnd(s);
        Labels labels = parseLabels(s.substring(0, split));
        List<String> tokens = valueTokens(s.substring(split));
        long t = 0;
        for (String tok : tokens) {
          for (Object v : expand(tok)) {
            if (v instanceof Double) {
              store.add(labels, t, (Double) v);
            } else if ("histogram".equals(v)) {
              histogramSeries.add(labels);
            }
            t += interval;
          }
        }
        if (nhcb && labels.get(Labels.METRIC_NAME).endsWith("_bucket")) {
          String name = labels.get(Labels.METRIC_NAME);
          histogramSeries.add(
              Labels.builder(labels)
                  .set(Labels.METRIC_NAME, name.substring(0, name.length() - "_bucket".length()))
                  .remove("le")
                  .build());
        }
      }
    }

    private CaseResult eval(String cmd, List<String> body, int line) {
      EvalCase c = parseEval(cmd, body, line);
      String fileSkip = UNSUPPORTED_FILES.get(file);
      if (fileSkip != null) {
        return new CaseResult(Outcome.SKIP, fileSkip);
      }
      if (loadProblem != null) {
        return new CaseResult(Outcome.FAIL, loadProblem);
      }
      if (c.skip != null) {
        return new CaseResult(Outcome.SKIP, c.skip);
      }
      String feature = unsupportedSyntax(c.query);
      if (feature != null) {
        return new CaseResult(Outcome.SKIP, feature);
      }
      if (touchesHistograms(c.query)) {
        return new CaseResult(Outcome.SKIP, "query reads native histogram samples");
      }
      PromqlEngine engine =
          PromqlEngine.builder(store).timeout(java.time.Duration.ofSeconds(20)).build();
      QueryResult res;
      try {
        res =
            c.range
                ? engine.rangeQuery(c.query, c.start, c.end, c.step)
                : engine.instantQuery(c.query, c.start);
      } catch (PromqlException e) {
        if (!c.expectFail) {
          return new CaseResult(Outcome.FAIL, "unexpected error for " + c.query + ": " + e.getMessage());
        }
        if (c.failMsg != null && !c.failMsg.equals(e.getMessage())) {
          return new CaseResult(
              Outcome.FAIL, "error message \"" + e.getMessage() + "\" != \"" + c.failMsg + "\"");
        }
        if (c.failRegex != null && !Pattern.compile(c.failRegex).matcher(e.getMessage()).find()) {
          return new CaseResult(
              Outcome.FAIL, "error message \"" + e.getMessage() + "\" !~ " + c.failRegex);
        }
        return new CaseResult(Outcome.PASS, "");
      }
      if (c.expectFail) {
        return new CaseResult(Outcome.FAIL, "expected an error for " + c.query + ", got a result");
      }
      String annos = checkAnnotations(c, res);
      if (annos != null) {
        return new CaseResult(Outcome.FAIL, annos);
      }
      String cmp = compare(c, res);
      if (cmp != null) {
        return new CaseResult(Outcome.FAIL, c.query + ": " + cmp);
      }
      return new CaseResult(Outcome.PASS, "");
    }

    private String unsupportedSyntax(String q) {
      String lower = q.toLowerCase(Locale.ROOT);
      if (lower.matches("(?s).*\\binfo\\s*\\(.*")) {
        return "info() is experimental and not supported";
      }
      if (lower.contains("anchored") || lower.contains("smoothed")) {
        return "anchored/smoothed selectors are not supported";
      }
      if (lower.matches("(?s).*\\bfill(_left|_right)?\\s*\\(.*")) {
        return "fill modifiers are not supported";
      }
      return null;
    }

    private boolean touchesHistograms(String q) {
      if (histogramSeries.isEmpty()) {
        return false;
      }
      Expr e;
      try {
        e = Parser.parse(q);
      } catch (PromqlException ex) {
        return false;
      }
      boolean[] hit = new boolean[1];
      Ast.inspect(
          e,
          (node, path) -> {
            if (node instanceof VectorSelector) {
              for (Labels h : histogramSeries) {
                boolean all = true;
                for (LabelMatcher m : ((VectorSelector) node).matchers) {
                  if (!m.matches(h)) {
                    all = false;
                    break;
                  }
                }
                if (all) {
                  hit[0] = true;
                }
              }
            }
          });
      return hit[0];
    }

    private EvalCase parseEval(String cmd, List<String> body, int line) {
      EvalCase c = new EvalCase();
      c.line = line;
      Matcher mi = EVAL_INSTANT.matcher(cmd);
      Matcher mr = EVAL_RANGE.matcher(cmd);
      String mod;
      if (mr.matches()) {
        mod = mr.group(1);
        c.range = true;
        c.start = parseTime(mr.group(2));
        c.end = parseTime(mr.group(3));
        c.step = parseTime(mr.group(4));
        c.query = mr.group(5);
      } else if (mi.matches()) {
        mod = mi.group(1);
        c.start = mi.group(2) == null ? 0 : parseTime(mi.group(2));
        c.end = c.start;
        c.query = mi.group(3);
      } else {
        throw new IllegalStateException(file + ":" + line + ": bad eval command " + cmd);
      }
      if ("fail".equals(mod)) {
        c.expectFail = true;
      } else if ("ordered".equals(mod)) {
        c.ordered = true;
      } else if ("warn".equals(mod)) {
        c.warnExpect.add(new String[] {null, null});
      } else if ("info".equals(mod)) {
        c.infoExpect.add(new String[] {null, null});
      }
      for (String b : body) {
        Matcher me = EXPECT.matcher(b);
        Matcher mrv = EXPECT_RANGE_VECTOR.matcher(b);
        Matcher ms = EXPECT_STRING.matcher(b);
        if (mrv.matches()) {
          c.rvStart = parseTime(mrv.group(1));
          c.rvStep = parseTime(mrv.group(3));
          continue;
        }
        if (ms.matches()) {
          c.expectString = unquote(ms.group(1).trim());
          continue;
        }
        if (me.matches()) {
          String kind = me.group(1);
          String mt = me.group(2);
          String text = me.group(3) == null ? null : me.group(3).trim();
          switch (kind) {
            case "fail":
              c.expectFail = true;
              if ("msg".equals(mt)) {
                c.failMsg = text;
              } else if ("regex".equals(mt)) {
                c.failRegex = text;
              }
              break;
            case "warn":
              c.warnExpect.add(new String[] {mt, text});
              break;
            case "info":
              c.infoExpect.add(new String[] {mt, text});
              break;
            case "no_warn":
              c.noWarn = true;
              break;
            case "no_info":
              c.noInfo = true;
              break;
            default:
              c.ordered = true;
              break;
          }
          continue;
        }
        if (b.startsWith("expected_fail_message")) {
          c.expectFail = true;
          c.failMsg = b.substring("expected_fail_message".length()).trim();
          continue;
        }
        if (b.startsWith("expected_fail_regexp")) {
          c.expectFail = true;
          c.failRegex = b.substring("expected_fail_regexp".length()).trim();
          continue;
        }
        if (b.startsWith("expect")) {
          c.skip = "unsupported expectation: " + b;
          continue;
        }
        if (b.contains("{{")) {
          c.skip = "expects native histogram samples";
          continue;
        }
        try {
          c.scalarExpect = Format.parseGoFloat(b);
          continue;
        } catch (NumberFormatException e) {
          // a series line
        }
        int split = seriesEnd(b);
        Labels labels = parseLabels(b.substring(0, split));
        List<Double> vals = new ArrayList<>();
        for (String tok : valueTokens(b.substring(split))) {
          for (Object v : expand(tok)) {
            vals.add(v instanceof Double ? (Double) v : null);
          }
        }
        c.series.add(new ExpectedSeries(labels, vals));
      }
      return c;
    }

    private static String checkAnnotations(EvalCase c, QueryResult res) {
      String w = checkAnnoKind("warn", c.warnExpect, c.noWarn, res.warnings());
      if (w != null) {
        return w;
      }
      return checkAnnoKind("info", c.infoExpect, c.noInfo, res.infos());
    }

    private static String checkAnnoKind(
        String kind, List<String[]> expects, boolean none, List<String> got) {
      if (none && !got.isEmpty()) {
        return "expected no " + kind + " annotations, got " + got;
      }
      if (expects.isEmpty()) {
        return null;
      }
      for (String[] ex : expects) {
        boolean matched = false;
        for (String g : got) {
          if (annoMatches(ex, g)) {
            matched = true;
            break;
          }
        }
        if (!matched) {
          return "expected " + kind + " annotation " + (ex[1] == null ? "" : ex[1]) + ", got " + got;
        }
      }
      for (String g : got) {
        boolean matched = false;
        for (String[] ex : expects) {
          if (annoMatches(ex, g)) {
            matched = true;
            break;
          }
        }
        if (!matched) {
          return "unexpected " + kind + " annotation " + g;
        }
      }
      return null;
    }

    private static boolean annoMatches(String[] ex, String got) {
      if (ex[0] == null) {
        return true;
      }
      if (ex[0].equals("msg")) {
        return ex[1].equals(got);
      }
      return Pattern.compile(ex[1]).matcher(got).find();
    }

    private String compare(EvalCase c, QueryResult res) {
      if (c.expectString != null) {
        if (res.type() != QueryResult.Type.STRING) {
          return "expected a string, got " + res.type();
        }
        return c.expectString.equals(res.string())
            ? null
            : "expected string \"" + c.expectString + "\", got \"" + res.string() + "\"";
      }
      switch (res.type()) {
        case STRING:
          return "unexpected string result \"" + res.string() + "\"";
        case SCALAR:
          {
            Double want = c.scalarExpect;
            if (want == null && c.series.size() == 1 && c.series.get(0).labels.isEmpty()) {
              want = c.series.get(0).values.get(0);
            }
            if (want == null) {
              return "got scalar " + res.scalar() + " but expected " + c.series.size() + " series";
            }
            return almostEqual(want, res.scalar()) ? null : "expected scalar " + want + ", got " + res.scalar();
          }
        case VECTOR:
          return compareVector(c, res.vector());
        default:
          return compareMatrix(c, res.matrix());
      }
    }

    private String compareVector(EvalCase c, List<QueryResult.VectorSample> got) {
      if (c.scalarExpect != null) {
        return "expected scalar " + c.scalarExpect + ", got vector of " + got.size();
      }
      if (got.size() != c.series.size()) {
        return "expected " + c.series.size() + " samples, got " + got.size() + ": " + describe(got);
      }
      Map<Labels, Integer> index = new LinkedHashMap<>();
      for (int k = 0; k < c.series.size(); k++) {
        index.put(c.series.get(k).labels, k);
      }
      for (int k = 0; k < got.size(); k++) {
        QueryResult.VectorSample s = got.get(k);
        Integer idx = index.get(s.labels());
        if (idx == null) {
          return "unexpected sample " + s.labels() + " " + s.value() + "; got " + describe(got);
        }
        if (c.ordered && idx != k) {
          return "expected " + c.series.get(k).labels + " at position " + k + ", got " + s.labels();
        }
        ExpectedSeries ex = c.series.get(idx);
        if (ex.values.size() != 1 || ex.values.get(0) == null) {
          return "bad expectation for instant query: " + ex.values;
        }
        if (!almostEqual(ex.values.get(0), s.value())) {
          return "for " + s.labels() + " expected " + ex.values.get(0) + ", got " + s.value();
        }
      }
      return null;
    }

    private String compareMatrix(EvalCase c, List<QueryResult.MatrixSeries> got) {
      long start = c.range ? c.start : c.rvStart != null ? c.rvStart : c.start;
      long step = c.range ? c.step : c.rvStep != null ? c.rvStep : 0;
      if (!c.range && c.rvStart == null) {
        return "received a range vector on an instant query without 'expect range vector'";
      }
      if (got.size() != c.series.size()) {
        return "expected " + c.series.size() + " series, got " + got.size() + ": " + describeM(got);
      }
      Map<Labels, ExpectedSeries> index = new LinkedHashMap<>();
      for (ExpectedSeries e : c.series) {
        index.put(e.labels, e);
      }
      for (QueryResult.MatrixSeries s : got) {
        ExpectedSeries ex = index.get(s.labels());
        if (ex == null) {
          return "unexpected series " + s.labels() + "; got " + describeM(got);
        }
        List<long[]> wantT = new ArrayList<>();
        List<Double> wantV = new ArrayList<>();
        for (int k = 0; k < ex.values.size(); k++) {
          if (ex.values.get(k) != null) {
            wantT.add(new long[] {start + k * step});
            wantV.add(ex.values.get(k));
          }
        }
        if (wantT.size() != s.timestampsMs().length) {
          return "for " + s.labels() + " expected " + wantT.size() + " points, got "
              + s.timestampsMs().length + ": " + pointList(s);
        }
        for (int k = 0; k < wantT.size(); k++) {
          if (wantT.get(k)[0] != s.timestampsMs()[k] || !almostEqual(wantV.get(k), s.values()[k])) {
            return "for " + s.labels() + " expected " + wantV.get(k) + "@" + wantT.get(k)[0]
                + ", got " + pointList(s);
          }
        }
      }
      return null;
    }

    private static String pointList(QueryResult.MatrixSeries s) {
      StringBuilder sb = new StringBuilder("[");
      for (int k = 0; k < s.timestampsMs().length; k++) {
        sb.append(s.values()[k]).append('@').append(s.timestampsMs()[k]).append(' ');
      }
      return sb.append(']').toString();
    }

    private static String describe(List<QueryResult.VectorSample> got) {
      return got.stream().map(s -> s.labels() + "=" + s.value()).collect(Collectors.joining(", "));
    }

    private static String describeM(List<QueryResult.MatrixSeries> got) {
      return got.stream().map(s -> s.labels() + pointList(s)).collect(Collectors.joining(", "));
    }
  }

  // ------------------------------------------------------------------ notation helpers

  static boolean almostEqual(double a, double b) {
    if (Double.isNaN(a) && Double.isNaN(b)) {
      return true;
    }
    if (a == b) {
      return true;
    }
    double minNormal = Double.MIN_NORMAL;
    double absSum = Math.abs(a) + Math.abs(b);
    double diff = Math.abs(a - b);
    if (a == 0 || b == 0 || absSum < minNormal) {
      return diff < 1e-6 * minNormal;
    }
    return diff / Math.min(absSum, Double.MAX_VALUE) < 1e-6;
  }

  static long parseTime(String s) {
    s = s.trim();
    if (s.matches("-?\\d+(\\.\\d+)?")) {
      return Math.round(Double.parseDouble(s) * 1000);
    }
    return (long) Durations.parse(s, s, 0);
  }

  /** Index where the label part of a series line ends. */
  static int seriesEnd(String s) {
    int brace = s.indexOf('{');
    int ws = indexOfWhitespace(s);
    if (brace < 0 || (ws >= 0 && ws < brace)) {
      return ws < 0 ? s.length() : ws;
    }
    boolean inStr = false;
    for (int i = brace; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inStr) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inStr = false;
        }
      } else if (c == '"') {
        inStr = true;
      } else if (c == '}') {
        return i + 1;
      }
    }
    return s.length();
  }

  private static int indexOfWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  static Labels parseLabels(String text) {
    text = text.trim();
    List<Lexer.Token> toks = Lexer.lex(text);
    Labels.Builder b = Labels.builder();
    int i = 0;
    if (toks.get(i).type != Lexer.T.LEFT_BRACE && toks.get(i).type != Lexer.T.EOF) {
      b.set(Labels.METRIC_NAME, toks.get(i).text);
      i++;
    }
    if (toks.get(i).type == Lexer.T.LEFT_BRACE) {
      i++;
      while (toks.get(i).type != Lexer.T.RIGHT_BRACE) {
        Lexer.Token name = toks.get(i++);
        String n = name.type == Lexer.T.STRING ? name.string : name.text;
        if (toks.get(i).type != Lexer.T.EQL) {
          b.set(Labels.METRIC_NAME, n);
        } else {
          i++;
          Lexer.Token v = toks.get(i++);
          b.set(n, v.string);
        }
        if (toks.get(i).type == Lexer.T.COMMA) {
          i++;
        }
      }
    }
    return b.build();
  }

  static List<String> valueTokens(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      }
      int j = i;
      int depth = 0;
      while (j < s.length()) {
        if (s.startsWith("{{", j)) {
          depth++;
          j += 2;
        } else if (s.startsWith("}}", j)) {
          depth--;
          j += 2;
        } else if (depth == 0 && Character.isWhitespace(s.charAt(j))) {
          break;
        } else {
          j++;
        }
      }
      out.add(s.substring(i, j));
      i = j;
    }
    return out;
  }

  /** Expands one value token: Double, null (omitted) or "histogram" per point. */
  static List<Object> expand(String tok) {
    List<Object> out = new ArrayList<>();
    if (tok.startsWith("{{")) {
      Matcher m = Pattern.compile("}}x(\\d+)$").matcher(tok);
      int n = m.find() ? Integer.parseInt(m.group(1)) + 1 : 1;
      for (int k = 0; k < n; k++) {
        out.add("histogram");
      }
      return out;
    }
    if (tok.equals("_")) {
      out.add(null);
      return out;
    }
    if (tok.startsWith("_x")) {
      int n = Integer.parseInt(tok.substring(2));
      for (int k = 0; k < n; k++) {
        out.add(null);
      }
      return out;
    }
    if (tok.equals("stale")) {
      out.add(Series.STALE_NAN);
      return out;
    }
    int x = tok.lastIndexOf('x');
    if (x > 0 && tok.substring(x + 1).matches("\\d+")) {
      int times = Integer.parseInt(tok.substring(x + 1));
      String left = tok.substring(0, x);
      int op = -1;
      for (int k = 1; k < left.length(); k++) {
        char ch = left.charAt(k);
        char prev = left.charAt(k - 1);
        if ((ch == '+' || ch == '-') && prev != 'e' && prev != 'E') {
          op = k;
          break;
        }
      }
      double base;
      double inc = 0;
      if (op > 0) {
        base = Format.parseGoFloat(left.substring(0, op));
        inc = Format.parseGoFloat(left.substring(op));
      } else {
        base = left.equals("stale") ? Series.STALE_NAN : Format.parseGoFloat(left);
      }
      for (int k = 0; k <= times; k++) {
        out.add(base);
        base += inc;
      }
      return out;
    }
    out.add(Format.parseGoFloat(tok));
    return out;
  }

  static String unquote(String s) {
    if (s.length() >= 2 && s.startsWith("`") && s.endsWith("`")) {
      return s.substring(1, s.length() - 1);
    }
    List<Lexer.Token> toks = Lexer.lex(s);
    if (toks.get(0).type == Lexer.T.STRING) {
      return toks.get(0).string;
    }
    return s;
  }
}
