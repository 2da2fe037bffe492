/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Loki's push API ({@code POST /loki/api/v1/push}): decoding of snappy-compressed protobuf and JSON
 * push requests, and their mapping onto OTLP log records ({@link
 * io.faultline.collector.loki.LokiPush}), so that Promtail, Grafana Alloy, the Loki Docker driver
 * and loki4j can ship logs to Faultline unchanged.
 */
package io.faultline.collector.loki;
