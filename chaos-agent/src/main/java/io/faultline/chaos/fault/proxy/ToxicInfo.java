/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.time.Instant;

/**
 * A toxic as its proxy holds it.
 *
 * @param toxic the toxic
 * @param expiresAt when it removes itself unless renewed (its lease)
 * @param hits how many connections (TCP kinds) or requests (HTTP kinds) it acted on so far
 */
public record ToxicInfo(Toxic toxic, Instant expiresAt, long hits) {}
