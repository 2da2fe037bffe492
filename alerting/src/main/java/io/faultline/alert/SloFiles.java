/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.metric.PromDurations;
import io.faultline.core.metric.ShortestDecimal;
import java.io.StringReader;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads SLO files and generates their rules: recording rules of the error ratio over the standard
 * windows (Sloth's names: {@code slo:sli_error:ratio_rate5m} ... with labels {@code sloth_id},
 * {@code sloth_service}, {@code sloth_slo}, {@code sloth_window}), the objective, the error budget,
 * current and period burn rates and the remaining error budget, and the four multi-window
 * multi-burn-rate alerts of Google's SRE workbook as alerting rules named {@code ErrorBudgetBurn}
 * (Pyrra's name) with labels {@code slo}, {@code severity}, {@code long}, {@code short}.
 */
final class SloFiles {
  /** The windows recorded for every SLO. */
  static final List<String> WINDOWS = List.of("5m", "30m", "1h", "2h", "6h", "1d", "3d");

  /** Burn-rate alert windows and factors: long, short, factor, severity. */
  record BurnAlert(String longWindow, String shortWindow, double factor, String severity) {}

  static final List<BurnAlert> BURN_ALERTS = List.of(
      new BurnAlert("1h", "5m", 14.4, "page"),
      new BurnAlert("6h", "30m", 6, "page"),
      new BurnAlert("1d", "2h", 3, "ticket"),
      new BurnAlert("3d", "6h", 1, "ticket"));

  static final String ALERT_NAME = "ErrorBudgetBurn";

  /** Tempo's default span-metrics latency buckets (seconds), as {@code le} renders them. */
  static final double[] SPAN_BUCKETS = {
    0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192,
    16.384
  };

  private static final Set<String> SLO_FIELDS = Set.of(
      "name", "service", "objective", "window", "description", "sli", "labels", "alerting");
  private static final Set<String> SLI_FIELDS = Set.of(
      "spanKind", "spanName", "latencyThreshold", "errorQuery", "totalQuery");

  private final Function<String, String> promqlCheck;

  SloFiles(Function<String, String> promqlCheck) {
    this.promqlCheck = promqlCheck;
  }

  List<SloSpec> parse(String file, String text) throws RuleFileException {
    List<String> errors = new ArrayList<>();
    Node root;
    try {
      root = RuleFileParser.compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark();
      String where = m == null ? file : file + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1);
      throw new RuleFileException(List.of(where + ": invalid YAML: " + e.getProblem()));
    }
    List<SloSpec> out = new ArrayList<>();
    if (root == null) {
      return out;
    }
    Node slos = null;
    if (root instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        if (RuleFileParser.key(t).equals("slos")) {
          slos = t.getValueNode();
        } else {
          errors.add(RuleFileParser.at(file, t.getKeyNode()) + "unknown field "
              + RuleFileParser.key(t) + " (expected 'slos')");
        }
      }
    }
    if (!(slos instanceof SequenceNode seq)) {
      throw new RuleFileException(List.of(RuleFileParser.at(file, root)
          + "an SLO file must be a map with a list 'slos'"));
    }
    Set<String> names = new HashSet<>();
    int index = 0;
    for (Node n : seq.getValue()) {
      index++;
      SloSpec s = slo(file, index, n, errors);
      if (s != null && !names.add(s.id())) {
        errors.add(RuleFileParser.at(file, n) + "slo " + index + ": \"" + s.name()
            + "\" of service \"" + s.service() + "\" is declared twice");
      } else if (s != null) {
        out.add(s);
      }
    }
    if (!errors.isEmpty()) {
      throw new RuleFileException(errors);
    }
    return out;
  }

  private SloSpec slo(String file, int index, Node node, List<String> errors) {
    if (!(node instanceof MappingNode m)) {
      errors.add(RuleFileParser.at(file, node) + "slo " + index + ": must be a map");
      return null;
    }
    Map<String, Node> f = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      String k = RuleFileParser.key(t);
      if (!SLO_FIELDS.contains(k)) {
        errors.add(RuleFileParser.at(file, t.getKeyNode()) + "slo " + index + ": unknown field "
            + k + " (expected one of " + new java.util.TreeSet<>(SLO_FIELDS) + ")");
      }
      f.put(k, t.getValueNode());
    }
    int before = errors.size();
    String service = text(f.get("service"));
    String name = f.containsKey("name") ? text(f.get("name")) : service;
    String where = RuleFileParser.at(file, node) + "slo " + index + " \"" + name + "\": ";
    if (service.isEmpty()) {
      errors.add(where + "'service' must be set");
    }
    if (!name.matches("[a-zA-Z0-9_.-]+")) {
      errors.add(where + "'name' must be letters, digits, '.', '_' or '-'");
    }
    double objective = Double.NaN;
    try {
      objective = Double.parseDouble(text(f.get("objective")));
    } catch (NumberFormatException e) {
      // reported below
    }
    if (!(objective > 0 && objective < 100)) {
      errors.add(where + "'objective' must be a percentage between 0 and 100 (exclusive),"
          + " e.g. 99.5; got \"" + text(f.get("objective")) + "\"");
    }
    Duration window = Duration.ofDays(28);
    if (f.containsKey("window")) {
      try {
        window = PromDurations.parse(text(f.get("window")));
        if (window.compareTo(Duration.ofHours(1)) < 0) {
          errors.add(where + "'window' must be at least 1h, got " + text(f.get("window")));
        }
      } catch (IllegalArgumentException e) {
        errors.add(where + "window: " + e.getMessage());
      }
    }
    Map<String, String> labels = new LinkedHashMap<>();
    if (f.get("labels") instanceof MappingNode lm) {
      for (NodeTuple t : lm.getValue()) {
        String k = RuleFileParser.key(t);
        if (!RuleFileParser.LABEL_NAME.matcher(k).matches() || k.startsWith("__")) {
          errors.add(where + "invalid label name: " + k);
        }
        labels.put(k, text(t.getValueNode()));
      }
    }
    boolean alerting = true;
    if (f.get("alerting") instanceof MappingNode am) {
      for (NodeTuple t : am.getValue()) {
        if (RuleFileParser.key(t).equals("enabled")) {
          alerting = !text(t.getValueNode()).equalsIgnoreCase("false");
        } else {
          errors.add(where + "alerting: unknown field " + RuleFileParser.key(t)
              + " (expected 'enabled')");
        }
      }
    }
    String ratio = sli(f.get("sli"), service, where, errors);
    if (errors.size() > before) {
      return null;
    }
    String check = promqlCheck.apply(ratio.replace("{{.window}}", "5m"));
    if (check != null) {
      errors.add(where + "the SLI's error ratio does not parse: " + check + " (expression: "
          + ratio.replace("{{.window}}", "5m") + ")");
      return null;
    }
    return new SloSpec(name, service, objective, window, text(f.get("description")), ratio,
        Map.copyOf(labels), alerting, file);
  }

  private static String sli(Node node, String service, String where, List<String> errors) {
    Map<String, String> f = new LinkedHashMap<>();
    if (node instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        String k = RuleFileParser.key(t);
        if (!SLI_FIELDS.contains(k)) {
          errors.add(where + "sli: unknown field " + k + " (expected one of "
              + new java.util.TreeSet<>(SLI_FIELDS) + ")");
        }
        f.put(k, text(t.getValueNode()));
      }
    } else if (node != null && !RuleFileParser.isNull(node)) {
      errors.add(where + "'sli' must be a map");
    }
    if (f.containsKey("errorQuery") || f.containsKey("totalQuery")) {
      String err = f.get("errorQuery");
      String total = f.get("totalQuery");
      if (err == null || total == null || !err.contains("{{.window}}")
          || !total.contains("{{.window}}")) {
        errors.add(where + "sli: a custom SLI needs both 'errorQuery' and 'totalQuery', each with"
            + " {{.window}} as its range, e.g. sum(rate(http_requests_total{code=~\"5..\"}"
            + "[{{.window}}]))");
        return "";
      }
      return "(" + err.strip() + ") / (" + total.strip() + ")";
    }
    String selector = "service=\"" + esc(service) + "\",span_kind=\""
        + esc(f.getOrDefault("spanKind", "SPAN_KIND_SERVER")) + "\"";
    if (f.containsKey("spanName")) {
      selector += ",span_name=\"" + esc(f.get("spanName")) + "\"";
    }
    String total = "sum(rate(traces_spanmetrics_calls_total{" + selector + "}[{{.window}}]))";
    if (!f.containsKey("latencyThreshold")) {
      return "(sum(rate(traces_spanmetrics_calls_total{" + selector
          + ",status_code=\"STATUS_CODE_ERROR\"}[{{.window}}])) or vector(0)) / " + total;
    }
    double threshold;
    String raw = f.get("latencyThreshold");
    try {
      threshold = raw.matches("[0-9.]+") ? Double.parseDouble(raw)
          : PromDurations.parse(raw).toMillis() / 1000.0;
    } catch (IllegalArgumentException e) {
      errors.add(where + "sli: latencyThreshold: " + e.getMessage() + " (use e.g. 800ms or 0.8)");
      return "";
    }
    if (threshold < SPAN_BUCKETS[0] || threshold > SPAN_BUCKETS[SPAN_BUCKETS.length - 1]) {
      errors.add(where + "sli: latencyThreshold " + raw + " is outside the span-metrics buckets"
          + " (0.002 s to 16.384 s)");
      return "";
    }
    String good = goodBelow(selector, threshold);
    return "1 - ((" + good + " or vector(0)) / " + total + ")";
  }

  /**
   * Requests under the threshold that did not fail: the bucket at the threshold, or linear
   * interpolation between the two buckets around it (as histogram_quantile assumes).
   */
  private static String goodBelow(String selector, double threshold) {
    String sel = selector + ",status_code!=\"STATUS_CODE_ERROR\"";
    for (int i = 0; i < SPAN_BUCKETS.length; i++) {
      if (Math.abs(SPAN_BUCKETS[i] - threshold) < 1e-9) {
        return bucket(sel, SPAN_BUCKETS[i]);
      }
      if (SPAN_BUCKETS[i] > threshold) {
        double lo = SPAN_BUCKETS[i - 1];
        double hi = SPAN_BUCKETS[i];
        String fraction = new BigDecimal((threshold - lo) / (hi - lo))
            .round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
        return "(" + bucket(sel, lo) + " + (" + bucket(sel, hi) + " - " + bucket(sel, lo) + ") * "
            + fraction + ")";
      }
    }
    throw new IllegalStateException("threshold checked above");
  }

  private static String bucket(String sel, double le) {
    String l = ShortestDecimal.plain(le);
    return "sum(rate(traces_spanmetrics_latency_bucket{" + sel + ",le=\"" + l
        + "\"}[{{.window}}]))";
  }

  private static String esc(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static String text(Node n) {
    return n == null ? "" : RuleFileParser.scalar(n).strip();
  }

  /** The generated rule group of one SLO. */
  static GroupSpec rules(SloSpec slo, Duration interval) {
    Map<String, String> base = new LinkedHashMap<>(slo.labels());
    base.put("sloth_id", slo.id());
    base.put("sloth_service", slo.service());
    base.put("sloth_slo", slo.name());
    String idSel = "{sloth_id=\"" + esc(slo.id()) + "\"}";
    String budget = num(slo.budget());
    String period = PromDurations.format(slo.window());
    List<RuleSpec> rules = new ArrayList<>();
    List<String> windows = new ArrayList<>(WINDOWS);
    if (!windows.contains(period)) {
      windows.add(period);
    }
    for (String w : windows) {
      Map<String, String> l = new LinkedHashMap<>(base);
      l.put("sloth_window", w);
      rules.add(record("slo:sli_error:ratio_rate" + w, slo.errorRatio(w), l));
    }
    rules.add(record("slo:objective:ratio", "vector(" + num(slo.objective() / 100) + ")", base));
    rules.add(record("slo:error_budget:ratio", "vector(" + budget + ")", base));
    rules.add(record("slo:time_period:days",
        "vector(" + num(slo.window().toMillis() / 86_400_000.0) + ")", base));
    rules.add(record("slo:current_burn_rate:ratio",
        "max without (sloth_window) (slo:sli_error:ratio_rate5m" + idSel + ") / " + budget,
        base));
    rules.add(record("slo:period_burn_rate:ratio",
        "max without (sloth_window) (slo:sli_error:ratio_rate" + period + idSel + ") / " + budget,
        base));
    rules.add(record("slo:period_error_budget_remaining:ratio",
        "1 - slo:period_burn_rate:ratio" + idSel, base));
    if (slo.alerting()) {
      for (BurnAlert a : BURN_ALERTS) {
        String threshold = "(" + num(a.factor()) + " * " + budget + ")";
        String expr = "max without (sloth_window) (slo:sli_error:ratio_rate" + a.longWindow()
            + idSel + " > " + threshold + ")\nand\nmax without (sloth_window) "
            + "(slo:sli_error:ratio_rate" + a.shortWindow() + idSel + " > " + threshold + ")";
        Map<String, String> labels = new LinkedHashMap<>(slo.labels());
        labels.put("slo", slo.name());
        labels.put("service", slo.service());
        labels.put("severity", a.severity());
        labels.put("long", a.longWindow());
        labels.put("short", a.shortWindow());
        Map<String, String> annotations = Map.of(
            "summary", "SLO " + slo.name() + " of " + slo.service() + " is burning its error"
                + " budget " + num(a.factor()) + "x too fast",
            "description", "Error ratio over the last " + a.longWindow()
                + " is {{ $value | humanizePercentage }} (objective " + num(slo.objective())
                + "%, so " + num(a.factor()) + "x the budget is "
                + num(a.factor() * slo.budget() * 100) + "%) and still high over the last "
                + a.shortWindow() + ".");
        rules.add(alert(expr, labels, annotations));
      }
    }
    return new GroupSpec(slo.file(), "slo:" + slo.id(), interval, 0, List.copyOf(rules));
  }

  private static RuleSpec record(String name, String expr, Map<String, String> labels) {
    return new RuleSpec(name, null, expr, Duration.ZERO, Duration.ZERO, Map.copyOf(labels),
        Map.of(), Map.of(), Map.of());
  }

  private static RuleSpec alert(
      String expr, Map<String, String> labels, Map<String, String> annotations) {
    Map<String, Template> lt = new LinkedHashMap<>();
    Map<String, Template> at = new LinkedHashMap<>();
    try {
      for (var e : labels.entrySet()) {
        lt.put(e.getKey(), Template.parse("__alert_" + ALERT_NAME, e.getValue()));
      }
      for (var e : annotations.entrySet()) {
        at.put(e.getKey(), Template.parse("__alert_" + ALERT_NAME, e.getValue()));
      }
    } catch (Template.TemplateException e) {
      throw new IllegalStateException("generated template does not parse", e);
    }
    return new RuleSpec(null, ALERT_NAME, expr, Duration.ZERO, Duration.ZERO, Map.copyOf(labels),
        Map.copyOf(annotations), lt, at);
  }

  static String num(double v) {
    return new BigDecimal(Double.toString(v)).round(new java.math.MathContext(12))
        .stripTrailingZeros().toPlainString();
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
