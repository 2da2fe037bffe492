/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The chaos HTTP API ({@code /api/chaos/...}): experiments, runs, reports, annotations and the
 * kill switch, over {@link io.faultline.chaos.ChaosAgent}. Viewers read; operators change state.
 */
package io.faultline.web.chaos;
