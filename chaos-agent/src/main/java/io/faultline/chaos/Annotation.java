/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.time.Instant;

/**
 * A time range the dashboard overlays on charts: a run (fault null) or one fault of it.
 *
 * @param end null while still in progress
 */
public record Annotation(
    long id,
    Instant start,
    Instant end,
    String experimentId,
    String runId,
    String fault,
    String target,
    String title,
    String text) {}
