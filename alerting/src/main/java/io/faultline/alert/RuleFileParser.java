/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import io.faultline.core.metric.PromDurations;
import java.io.Reader;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads Prometheus rule files ({@code groups: [{name, interval, limit, labels, rules: [...]}]})
 * and validates them the way {@code promtool check rules} does, collecting every problem with its
 * line and column instead of stopping at the first.
 */
final class RuleFileParser {
  static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> GROUP_FIELDS =
      Set.of("name", "interval", "limit", "labels", "rules", "query_offset");
  private static final Set<String> RULE_FIELDS =
      Set.of("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations");
  private static final int MAX_FILE_CHARS = 16 * 1024 * 1024;

  /** Checks a PromQL expression: null when it parses, else the parser's message. */
  private final Function<String, String> promqlCheck;

  RuleFileParser(Function<String, String> promqlCheck) {
    this.promqlCheck = promqlCheck;
  }

  /** Parses one file's text; {@code file} names it in messages. */
  List<GroupSpec> parse(String file, String text) throws RuleFileException {
    List<String> errors = new ArrayList<>();
    Node root;
    try {
      root = compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark();
      String where = m == null ? file : file + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1);
      throw new RuleFileException(List.of(where + ": invalid YAML: " + e.getProblem()));
    } catch (RuntimeException e) {
      throw new RuleFileException(List.of(file + ": invalid YAML: " + e.getMessage()));
    }
    List<GroupSpec> groups = new ArrayList<>();
    if (root == null) {
      return groups;
    }
    if (!(root instanceof MappingNode top)) {
      throw new RuleFileException(List.of(at(file, root) + "the file must be a map with 'groups'"));
    }
    Node groupsNode = null;
    for (NodeTuple t : top.getValue()) {
      String key = key(t);
      if (key.equals("groups")) {
        groupsNode = t.getValueNode();
      } else {
        errors.add(at(file, t.getKeyNode()) + "field " + key + " not found in type rulefmt.RuleGroups");
      }
    }
    if (groupsNode != null && !isNull(groupsNode)) {
      if (!(groupsNode instanceof SequenceNode seq)) {
        errors.add(at(file, groupsNode) + "'groups' must be a list");
      } else {
        Set<String> names = new HashSet<>();
        for (Node g : seq.getValue()) {
          GroupSpec spec = group(file, g, names, errors);
          if (spec != null) {
            groups.add(spec);
          }
        }
      }
    }
    if (!errors.isEmpty()) {
      throw new RuleFileException(errors);
    }
    return groups;
  }

  static Node compose(Reader reader) {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(50);
    options.setCodePointLimit(MAX_FILE_CHARS);
    options.setAllowDuplicateKeys(false);
    return new Yaml(options).compose(reader);
  }

  private GroupSpec group(String file, Node node, Set<String> names, List<String> errors) {
    if (!(node instanceof MappingNode map)) {
      errors.add(at(file, node) + "a group must be a map with 'name' and 'rules'");
      return null;
    }
    String name = null;
    Duration interval = null;
    int limit = 0;
    Map<String, String> groupLabels = new LinkedHashMap<>();
    SequenceNode rules = null;
    Node nameNode = node;
    int before = errors.size();
    for (NodeTuple t : map.getValue()) {
      String key = key(t);
      Node v = t.getValueNode();
      switch (key) {
        case "name" -> {
          name = scalar(v);
          nameNode = v;
        }
        case "interval" -> interval = duration(file, v, "interval", errors);
        case "query_offset" -> duration(file, v, "query_offset", errors);
        case "limit" -> {
          try {
            limit = Integer.parseInt(scalar(v));
            if (limit < 0) {
              errors.add(at(file, v) + "limit must not be negative");
            }
          } catch (NumberFormatException e) {
            errors.add(at(file, v) + "cannot unmarshal " + scalar(v) + " into limit (an integer)");
          }
        }
        case "labels" -> groupLabels = stringMap(file, v, "labels", errors);
        case "rules" -> {
          if (v instanceof SequenceNode s) {
            rules = s;
          } else if (!isNull(v)) {
            errors.add(at(file, v) + "'rules' must be a list");
          }
        }
        default -> errors.add(
            at(file, t.getKeyNode()) + "field " + key + " not found in type rulefmt.RuleGroup");
      }
    }
    if (name == null || name.isEmpty()) {
      errors.add(at(file, nameNode) + "Groupname must not be empty");
      return null;
    }
    if (!names.add(name)) {
      errors.add(at(file, nameNode) + "groupname: \"" + name + "\" is repeated in the same file");
    }
    if (interval != null && interval.isZero()) {
      errors.add(at(file, nameNode) + "group \"" + name + "\": interval must be positive");
    }
    List<RuleSpec> specs = new ArrayList<>();
    if (rules != null) {
      int index = 0;
      for (Node r : rules.getValue()) {
        index++;
        RuleSpec spec = rule(file, name, index, r, groupLabels, errors);
        if (spec != null) {
          specs.add(spec);
        }
      }
    }
    if (errors.size() > before) {
      return null;
    }
    return new GroupSpec(file, name, interval, limit, List.copyOf(specs));
  }

  private RuleSpec rule(
      String file, String group, int index, Node node, Map<String, String> groupLabels,
      List<String> errors) {
    if (!(node instanceof MappingNode map)) {
      errors.add(at(file, node) + "group \"" + group + "\", rule " + index + ": a rule must be a map");
      return null;
    }
    Map<String, Node> fields = new LinkedHashMap<>();
    for (NodeTuple t : map.getValue()) {
      String key = key(t);
      if (!RULE_FIELDS.contains(key)) {
        errors.add(at(file, t.getKeyNode()) + "field " + key + " not found in type rulefmt.RuleNode");
      } else {
        fields.put(key, t.getValueNode());
      }
    }
    String record = fields.containsKey("record") ? scalar(fields.get("record")) : null;
    String alert = fields.containsKey("alert") ? scalar(fields.get("alert")) : null;
    String ruleName = record != null ? record : alert != null ? alert : "";
    List<String> problems = new ArrayList<>();
    Node pos = node;
    if ((record == null || record.isEmpty()) && (alert == null || alert.isEmpty())) {
      problems.add(at(file, node) + prefix(group, index, ruleName)
          + "one of 'record' or 'alert' must be set");
    } else if (record != null && alert != null) {
      problems.add(at(file, fields.get("record")) + prefix(group, index, ruleName)
          + "only one of 'record' and 'alert' must be set");
    }
    String expr = fields.containsKey("expr") ? scalar(fields.get("expr")) : null;
    if (expr == null || expr.isBlank()) {
      problems.add(at(file, fields.getOrDefault("expr", node)) + prefix(group, index, ruleName)
          + "field 'expr' must be set in rule");
    } else {
      String err = promqlCheck.apply(expr);
      if (err != null) {
        problems.add(at(file, fields.get("expr")) + prefix(group, index, ruleName)
            + "could not parse expression: " + err);
      }
    }
    Duration forDuration = Duration.ZERO;
    Duration keepFiringFor = Duration.ZERO;
    if (record != null) {
      for (String invalid : List.of("annotations", "for", "keep_firing_for")) {
        if (fields.containsKey(invalid)) {
          problems.add(at(file, fields.get(invalid)) + prefix(group, index, ruleName)
              + "invalid field '" + invalid + "' in recording rule");
        }
      }
      if (!record.isEmpty() && !METRIC_NAME.matcher(record).matches()) {
        problems.add(at(file, fields.get("record")) + prefix(group, index, ruleName)
            + "invalid recording rule name: " + record);
      }
    } else {
      if (fields.containsKey("for")) {
        forDuration = duration(file, fields.get("for"), "for", problems);
      }
      if (fields.containsKey("keep_firing_for")) {
        keepFiringFor = duration(file, fields.get("keep_firing_for"), "keep_firing_for", problems);
      }
    }
    Map<String, String> labels = new LinkedHashMap<>(groupLabels);
    if (fields.containsKey("labels")) {
      labels.putAll(stringMap(file, fields.get("labels"), "labels", problems));
    }
    Map<String, String> annotations =
        fields.containsKey("annotations")
            ? stringMap(file, fields.get("annotations"), "annotations", problems)
            : Map.of();
    Map<String, Template> labelTemplates = new LinkedHashMap<>();
    Map<String, Template> annotationTemplates = new LinkedHashMap<>();
    for (var e : labels.entrySet()) {
      if (!LABEL_NAME.matcher(e.getKey()).matches() || e.getKey().startsWith("__")) {
        problems.add(at(file, fields.getOrDefault("labels", pos)) + prefix(group, index, ruleName)
            + "invalid label name: " + e.getKey());
      }
      template(file, fields.getOrDefault("labels", pos), group, index, ruleName, e, labelTemplates,
          problems);
    }
    for (var e : annotations.entrySet()) {
      if (!LABEL_NAME.matcher(e.getKey()).matches()) {
        problems.add(at(file, fields.get("annotations")) + prefix(group, index, ruleName)
            + "invalid annotation name: " + e.getKey());
      }
      template(file, fields.get("annotations"), group, index, ruleName, e, annotationTemplates,
          problems);
    }
    errors.addAll(problems);
    if (!problems.isEmpty()) {
      return null;
    }
    return new RuleSpec(
        record, alert, expr.strip(), forDuration, keepFiringFor, Map.copyOf(labels),
        Map.copyOf(annotations), labelTemplates, annotationTemplates);
  }

  private static void template(
      String file, Node node, String group, int index, String rule, Map.Entry<String, String> e,
      Map<String, Template> out, List<String> problems) {
    try {
      out.put(e.getKey(), Template.parse("__alert_" + rule, e.getValue()));
    } catch (Template.TemplateException ex) {
      problems.add(at(file, node) + prefix(group, index, rule) + "msg=\"error parsing template "
          + e.getKey() + "\" err=\"" + ex.getMessage() + "\"");
    }
  }

  private static String prefix(String group, int index, String rule) {
    return "group \"" + group + "\", rule " + index + ", \"" + rule + "\": ";
  }

  private static Duration duration(String file, Node v, String field, List<String> errors) {
    String s = scalar(v);
    try {
      return PromDurations.parse(s);
    } catch (IllegalArgumentException | ArithmeticException e) {
      errors.add(at(file, v) + field + ": " + e.getMessage());
      return Duration.ZERO;
    }
  }

  private static Map<String, String> stringMap(
      String file, Node v, String field, List<String> errors) {
    Map<String, String> out = new LinkedHashMap<>();
    if (isNull(v)) {
      return out;
    }
    if (!(v instanceof MappingNode m)) {
      errors.add(at(file, v) + "'" + field + "' must be a map of strings");
      return out;
    }
    for (NodeTuple t : m.getValue()) {
      if (!(t.getValueNode() instanceof ScalarNode)) {
        errors.add(at(file, t.getValueNode()) + field + "." + key(t) + " must be a string");
      } else {
        out.put(key(t), scalar(t.getValueNode()));
      }
    }
    return out;
  }

  static boolean isNull(Node n) {
    return n instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
  }

  static String key(NodeTuple t) {
    return t.getKeyNode() instanceof ScalarNode s ? s.getValue() : "?";
  }

  static String scalar(Node n) {
    if (n instanceof ScalarNode s) {
      return s.getTag().equals(Tag.NULL) ? "" : s.getValue();
    }
    return "";
  }

  static String at(String file, Node n) {
    Mark m = n.getStartMark();
    return file + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1) + ": ";
  }
}
