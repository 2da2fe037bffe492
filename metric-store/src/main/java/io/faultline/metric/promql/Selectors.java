/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.storage.LabelMatcher;
import java.util.List;
import java.util.Objects;

/** Parses series selectors as the HTTP API's {@code match[]} parameters carry them. */
public final class Selectors {
  private Selectors() {}

  /**
   * The matchers of one series selector such as {@code up{job=~"a|b"}} or {@code {__name__="x"}}.
   *
   * @throws ParseException when the text is not a single instant vector selector, or when every
   *     matcher matches the empty string
   */
  public static List<LabelMatcher> parse(String selector) {
    Objects.requireNonNull(selector, "selector");
    Ast.Expr e = Parser.parse(selector);
    if (!(e instanceof Ast.VectorSelector vs)) {
      throw new ParseException(
          "1:1: parse error: expected a series selector (e.g. up{job=\"api\"}), got: " + selector);
    }
    if (vs.originalOffset != 0 || vs.atKind != Ast.AtKind.NONE) {
      throw new ParseException(
          "1:1: parse error: a series selector takes no offset or @ modifier: " + selector);
    }
    return List.copyOf(vs.matchers);
  }
}
