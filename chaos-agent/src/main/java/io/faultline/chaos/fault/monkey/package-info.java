/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/** Chaos Monkey for Spring Boot driven through its actuator endpoints. */
package io.faultline.chaos.fault.monkey;
