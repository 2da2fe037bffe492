/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/** Fault injector SPI, parameter validation, leases and the injector registry with the kill switch. */
package io.faultline.chaos.fault;
