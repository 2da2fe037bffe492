/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.faultline.chaos.experiment.ExperimentParser;
import io.faultline.chaos.experiment.Probe;
import io.faultline.core.metric.MetricQueries;
import io.faultline.core.metric.PromqlResult;
import io.faultline.core.metric.QueryOptions;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.DateAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.general.DatasetUtils;
import org.jfree.data.time.FixedMillisecond;
import org.jfree.data.time.TimeSeries;
import org.jfree.data.time.TimeSeriesCollection;

/**
 * Renders a run's report: an HTML page with the verdict, hypothesis results, effect checks, the
 * blast-radius table and the journal, and one PNG chart (JFreeChart) per steady-state probe showing
 * its signal before, during and after the faults with the fault window shaded and the tolerance
 * drawn. The charts are embedded in the HTML as data URIs, so a saved report is complete; they are
 * also stored with the run as PNGs, so any server sharing the database can serve them.
 */
final class ReportRenderer {
  static final String HTML = "report.html";
  static final int WIDTH = 900;
  static final int HEIGHT = 320;
  static final int MAX_SERIES = 8;
  static final int POINTS = 240;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final ChaosStore store;
  private final MetricQueries metrics;

  ReportRenderer(ChaosStore store, MetricQueries metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  /** Renders and stores the report of a run; returns the HTML. */
  String render(String runId) {
    RunRecord run = store.run(runId).orElseThrow(() -> new IllegalArgumentException("no run " + runId));
    JsonNode experiment = read(run.experimentJson());
    JsonNode results = run.resultsJson() == null ? MAPPER.createObjectNode() : read(run.resultsJson());
    List<Probe> probes = ExperimentParser.steadyStateOf(experiment);
    Instant start = run.startedAt() != null ? run.startedAt() : run.createdAt();
    Instant end = run.endedAt() != null ? run.endedAt() : start;
    Instant fs = run.faultStart();
    Instant fe = run.faultEnd();
    Duration before = fs != null && fe != null ? Duration.between(fs, fe) : Duration.ofMinutes(5);
    if (before.compareTo(Duration.ofMinutes(1)) < 0) {
      before = Duration.ofMinutes(1);
    }
    Instant from = (fs != null ? fs : start).minus(before);
    Instant to = end.plus(Duration.ofSeconds(30));
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Chaos run ")
        .append(esc(runId)).append("</title><style>body{font-family:sans-serif;margin:2em;max-width:1000px}"
            + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:90%}"
            + ".ok{color:#176b2c}.bad{color:#a11}.verdict{font-size:120%;padding:.6em;border-left:6px solid #888;background:#f6f6f6}"
            + "</style></head><body>");
    h.append("<h1>").append(esc(run.title())).append("</h1>");
    h.append("<p>Run <code>").append(esc(runId)).append("</code> · ").append(esc(run.trigger()))
        .append(" by ").append(esc(run.requestedBy())).append(" · status <b class=\"")
        .append(run.status() == RunStatus.COMPLETED ? "ok" : "bad").append("\">").append(run.status().wireName()).append("</b></p>");
    h.append("<p class=\"verdict\" id=\"verdict\">").append(esc(run.verdict() == null ? "in progress" : run.verdict())).append("</p>");
    if (run.reason() != null) {
      h.append("<p><b>Reason:</b> ").append(esc(run.reason())).append("</p>");
    }
    h.append("<table><tr><th>started</th><td>").append(t(run.startedAt())).append("</td></tr><tr><th>faults active</th><td>")
        .append(t(fs)).append(" – ").append(t(fe)).append("</td></tr><tr><th>ended</th><td>").append(t(run.endedAt())).append("</td></tr></table>");
    h.append("<h2>Steady state</h2>");
    for (int i = 0; i < probes.size(); i++) {
      Probe p = probes.get(i);
      h.append("<h3>").append(esc(p.name())).append("</h3>");
      String expr = ProbeEvaluator.promqlFor(p);
      if (expr != null) {
        String name = "probe-" + i + ".png";
        try {
          byte[] png = chart(p, expr, from, to, fs, fe);
          store.putAsset(runId, name, "image/png", png);
          // embedded, so that a report saved to a file (curl -o) shows its charts without a token
          h.append("<img src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png)).append("\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
              .append("\" alt=\"").append(esc(p.name())).append(" before, during and after the faults\">");
        } catch (RuntimeException e) {
          h.append("<p class=\"bad\">chart not available: ").append(esc(e.getMessage())).append("</p>");
        }
        h.append("<p><code>").append(esc(expr)).append("</code></p>");
      }
      h.append(phaseTable(results, p.name()));
    }
    h.append("<h2>Halt conditions</h2>").append(resultTable(results.path("halts"), 20));
    h.append("<h2>Did the faults fire?</h2><table><tr><th>fault</th><th>target</th><th>observed</th><th>evidence</th></tr>");
    for (JsonNode e : results.path("effects")) {
      h.append("<tr><td>").append(esc(e.path("fault").asText())).append("</td><td>").append(esc(e.path("target").asText()))
          .append("</td><td class=\"").append(e.path("observed").asBoolean() ? "ok\">yes" : "bad\">no observable effect")
          .append("</td><td>").append(esc(e.path("evidence").asText())).append("</td></tr>");
    }
    h.append("</table>");
    h.append("<h2>Blast radius</h2><p>Services and operations whose p95 latency or error ratio changed during the fault window (span metrics, compared with the window just before).</p>");
    h.append("<table id=\"blast-radius\"><tr><th>service</th><th>operation</th><th>p95 before</th><th>p95 during</th><th>errors before</th><th>errors during</th></tr>");
    for (JsonNode c : results.path("blastRadius")) {
      h.append("<tr><td>").append(esc(c.path("service").asText())).append("</td><td>").append(esc(c.path("operation").asText()))
          .append("</td><td>").append(num(c.path("p95Before"), "s")).append("</td><td>").append(num(c.path("p95During"), "s"))
          .append("</td><td>").append(num(c.path("errorRatioBefore"), "")).append("</td><td>").append(num(c.path("errorRatioDuring"), ""))
          .append("</td></tr>");
    }
    h.append("</table>");
    JsonNode estimate = results.path("plan").path("blastRadiusEstimate");
    if (!estimate.isMissingNode()) {
      h.append("<p>Estimated before the run: ").append(esc(estimate.path("summary").asText())).append("</p>");
    }
    h.append("<h2>Journal</h2><table>");
    for (JournalEntry j : store.journal(runId)) {
      h.append("<tr><td>").append(j.time()).append("</td><td>").append(esc(j.level())).append("</td><td>")
          .append(esc(j.event())).append("</td><td>").append(esc(j.message())).append("</td></tr>");
    }
    h.append("</table></body></html>");
    String html = h.toString();
    store.putAsset(runId, HTML, "text/html", html.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return html;
  }

  byte[] chart(Probe probe, String expr, Instant from, Instant to, Instant faultStart, Instant faultEnd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ChartUtils.writeChartAsPNG(out, chartOf(probe, expr, from, to, faultStart, faultEnd), WIDTH, HEIGHT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  JFreeChart chartOf(Probe probe, String expr, Instant from, Instant to, Instant faultStart, Instant faultEnd) {
    long step = Math.max(1000, Duration.between(from, to).toMillis() / POINTS);
    PromqlResult r = metrics.rangeQuery(expr, from.toEpochMilli(), to.toEpochMilli(), step, QueryOptions.DEFAULTS);
    TimeSeriesCollection data = new TimeSeriesCollection();
    int n = 0;
    for (PromqlResult.Series s : r.series()) {
      if (n++ >= MAX_SERIES) {
        break;
      }
      TimeSeries ts = new TimeSeries(label(s));
      for (int i = 0; i < s.timestampsMs().length; i++) {
        if (Double.isFinite(s.values()[i])) {
          ts.addOrUpdate(new FixedMillisecond(s.timestampsMs()[i]), s.values()[i]);
        }
      }
      data.addSeries(ts);
    }
    JFreeChart chart = ChartFactory.createTimeSeriesChart(probe.name(), "time (UTC)", "value", data, data.getSeriesCount() > 1, false, false);
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    ((DateAxis) plot.getDomainAxis()).setTimeZone(java.util.TimeZone.getTimeZone("UTC"));
    plot.getRenderer().setSeriesStroke(0, new BasicStroke(2f));
    if (faultStart != null && faultEnd != null) {
      IntervalMarker window = new IntervalMarker(faultStart.toEpochMilli(), faultEnd.toEpochMilli());
      window.setPaint(new Color(255, 120, 60, 70));
      window.setLabel("faults active");
      plot.addDomainMarker(window, Layer.BACKGROUND);
    }
    if (probe.tolerance() != null) {
      for (Double bound : new Double[] {probe.tolerance().min(), probe.tolerance().max()}) {
        if (bound != null) {
          ValueMarker m = new ValueMarker(bound);
          m.setPaint(new Color(0xaa1111));
          m.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
          m.setLabel("tolerance " + bound);
          m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
          m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
          plot.addRangeMarker(m);
        }
      }
    }
    plot.getRangeAxis().setRange(valueRange(DatasetUtils.findRangeBounds(data),
        probe.tolerance() == null ? null : probe.tolerance().min(), probe.tolerance() == null ? null : probe.tolerance().max()));
    return chart;
  }

  /**
   * The value axis: the data and the tolerance bounds (which auto-ranging ignores, so a line far
   * from the data was never drawn), with a margin; a flat series gets a range around its value
   * instead of a degenerate one whose ticks all read the same.
   */
  static Range valueRange(Range data, Double min, Double max) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Double v : new Double[] {data == null ? null : data.getLowerBound(), data == null ? null : data.getUpperBound(), min, max}) {
      if (v != null && Double.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (lo > hi) {
      return new Range(0, 1);
    }
    double span = hi - lo;
    if (span < Math.max(Math.abs(hi), Math.abs(lo)) * 1e-6 || span == 0) {
      double pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1;
      return new Range(lo - pad, hi + pad);
    }
    return new Range(lo - span * 0.05, hi + span * 0.05);
  }

  private static String label(PromqlResult.Series s) {
    return s.labels().isEmpty() ? "value" : s.labels().toString();
  }

  private static String phaseTable(JsonNode results, String probe) {
    StringBuilder b = new StringBuilder("<table><tr><th>phase</th><th>checks</th><th>failed</th><th>last</th></tr>");
    for (String phase : new String[] {"before", "during", "after"}) {
      int checks = 0;
      int failed = 0;
      String last = "—";
      for (JsonNode r : results.path(phase)) {
        if (r.path("name").asText().equals(probe)) {
          checks++;
          if (!r.path("ok").asBoolean()) {
            failed++;
          }
          last = r.path("detail").asText();
        }
      }
      b.append("<tr><td>").append(phase).append("</td><td>").append(checks).append("</td><td class=\"")
          .append(failed == 0 ? "ok" : "bad").append("\">").append(failed).append("</td><td>").append(esc(last)).append("</td></tr>");
    }
    return b.append("</table>").toString();
  }

  private static String resultTable(JsonNode list, int max) {
    StringBuilder b = new StringBuilder("<table><tr><th>time</th><th>condition</th><th>result</th></tr>");
    int n = 0;
    for (JsonNode r : list) {
      if (n++ >= max && r.path("ok").asBoolean()) {
        continue;
      }
      b.append("<tr><td>").append(esc(r.path("time").asText())).append("</td><td>").append(esc(r.path("name").asText()))
          .append("</td><td class=\"").append(r.path("ok").asBoolean() ? "ok" : "bad").append("\">")
          .append(esc(r.path("detail").asText())).append("</td></tr>");
    }
    return b.append("</table>").toString();
  }

  private static String num(JsonNode n, String unit) {
    return n.isNumber() ? String.format(Locale.ROOT, "%.4g%s", n.asDouble(), unit) : "—";
  }

  private static String t(Instant i) {
    return i == null ? "—" : i.toString();
  }

  private static JsonNode read(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
