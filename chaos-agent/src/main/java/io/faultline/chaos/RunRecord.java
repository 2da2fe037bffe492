/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.time.Instant;

/**
 * A run as stored. Times are null until reached.
 *
 * @param experimentJson the experiment as it was when the run started (canonical JSON)
 * @param trigger {@code manual} or {@code schedule}
 * @param scheduledFor the fire time of a scheduled run, else null
 * @param reason why the run ended as it did (always set for final states other than completed)
 * @param verdict one sentence a human reads first: the outcome and what the telemetry showed
 * @param resultsJson hypothesis results before/during/after, effect checks, blast radius (JSON)
 */
public record RunRecord(
    String id,
    String experimentId,
    String title,
    String experimentJson,
    RunStatus status,
    String reason,
    String verdict,
    String trigger,
    Instant scheduledFor,
    String requestedBy,
    Instant createdAt,
    Instant startedAt,
    Instant faultStart,
    Instant faultEnd,
    Instant endedAt,
    String owner,
    Instant heartbeatAt,
    String abortReason,
    String resultsJson) {}
