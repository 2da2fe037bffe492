/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Prometheus' HTTP API for Grafana and promtool ({@link
 * io.faultline.web.prometheus.PrometheusApiResource}) and remote write ingest ({@link
 * io.faultline.web.prometheus.RemoteWriteResource}).
 */
package io.faultline.web.prometheus;
