/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.util.List;

/**
 * A rule or SLO file is invalid. {@link #errors()} lists every problem found, each as {@code
 * file:line:col: group "g", rule N, "name": what is wrong} (like {@code promtool check rules});
 * the message joins them. The rules that were loaded before stay in effect: fix the file and
 * reload.
 */
public final class RuleFileException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> errors;

  public RuleFileException(List<String> errors) {
    super(String.join("\n", errors));
    this.errors = List.copyOf(errors);
  }

  public List<String> errors() {
    return errors;
  }
}
