/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import java.util.List;

/**
 * An experiment is not valid. {@link #problems()} lists every problem found, each prefixed with
 * the path of the field it concerns, e.g. {@code method[0].duration: must be a positive duration
 * like 2m}.
 */
public final class ExperimentValidationException extends Exception {
  private final List<String> problems;

  public ExperimentValidationException(List<String> problems) {
    super("invalid experiment: " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
