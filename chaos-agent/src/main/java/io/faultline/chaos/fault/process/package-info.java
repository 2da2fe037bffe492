/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/** Process faults: kill -9, pause/resume with a detached watchdog, restart. */
package io.faultline.chaos.fault.process;
