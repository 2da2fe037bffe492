/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.time.Instant;

/**
 * A stored experiment: its source exactly as submitted (JSON or YAML) and bookkeeping.
 *
 * @param activeRunId the run currently holding the experiment (pending or running), or null
 */
public record ExperimentRecord(
    String id,
    String title,
    String source,
    String format,
    Instant createdAt,
    String createdBy,
    Instant updatedAt,
    String updatedBy,
    int revision,
    String activeRunId) {}
