/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * PromQL: a parser for the whole stable language and an evaluation engine with Prometheus 3
 * semantics. {@link io.faultline.metric.promql.PromqlEngine} is the entry point.
 */
package io.faultline.metric.promql;
