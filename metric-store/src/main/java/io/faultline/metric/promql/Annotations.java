/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.promql.Ast.Expr;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Warnings and infos collected during one query, deduplicated by text as Prometheus does. */
final class Annotations {
  private final String query;
  private final Set<String> warnings = new LinkedHashSet<>();
  private final Set<String> infos = new LinkedHashSet<>();

  Annotations(String query) {
    this.query = query;
  }

  void warn(String msg, Expr pos) {
    warnings.add("PromQL warning: " + msg + position(pos));
  }

  void info(String msg, Expr pos) {
    infos.add("PromQL info: " + msg + position(pos));
  }

  private String position(Expr pos) {
    if (pos == null) {
      return "";
    }
    return " (" + ParseException.positionPrefix(query, pos.start) + ")";
  }

  List<String> warnings() {
    return new ArrayList<>(warnings);
  }

  List<String> infos() {
    return new ArrayList<>(infos);
  }
}
