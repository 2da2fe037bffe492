/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos;

import java.time.Instant;

/** Who did what to the chaos agent, and when. */
public record AuditEntry(
    long id, Instant time, String principal, String action, String subject, String detail) {}
