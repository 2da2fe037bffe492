/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.time.Instant;

/** One line of a run's journal: what the agent did or saw, in order. */
public record JournalEntry(Instant time, String level, String event, String message) {}
