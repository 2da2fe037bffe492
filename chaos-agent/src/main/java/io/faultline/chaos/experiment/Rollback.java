/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.experiment;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * An action that always runs when a run ends (completed, deviated, aborted, failed, or recovered
 * after the agent stopped): an HTTP request, e.g. to reset a feature flag or restart a consumer.
 * Faults themselves are reverted by their injectors before rollbacks run.
 */
public record Rollback(
    String name, URI url, String method, String body, Map<String, String> headers, Duration timeout) {
  public Rollback {
    headers = Map.copyOf(headers);
  }
}
