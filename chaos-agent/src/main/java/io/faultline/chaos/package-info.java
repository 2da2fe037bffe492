/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The chaos agent: experiments, schedules (db-scheduler), runs with probes, halts and rollbacks,
 * journal, annotations, reports; {@link io.faultline.chaos.ChaosAgent} is the entry point.
 */
package io.faultline.chaos;
