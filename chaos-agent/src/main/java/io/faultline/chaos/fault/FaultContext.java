/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

import java.time.Instant;

/**
 * Which run a fault belongs to, so the fault can label what it does ({@code chaos.experiment},
 * {@code chaos.run}, {@code chaos.fault} attributes on spans, log events) and expire by itself.
 *
 * @param experimentId the experiment's id
 * @param runId the run's id
 * @param leaseUntil the fault must revert itself at this instant unless {@link
 *     ActiveFault#renew(Instant)} extends it (the dead-man lease: if the agent dies, faults end)
 */
public record FaultContext(String experimentId, String runId, Instant leaseUntil) {}
