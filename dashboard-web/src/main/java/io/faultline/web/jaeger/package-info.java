/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Jaeger's query API model: OTLP traces translated to the JSON the Jaeger UI and Grafana's Jaeger
 * data source read, and the parameter syntax (Go durations, Jaeger trace ids) they send.
 */
package io.faultline.web.jaeger;
