/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/** Faultline's own fault proxy: TCP toxics, HTTP toxics with trace spans, leases, control endpoint. */
package io.faultline.chaos.fault.proxy;
