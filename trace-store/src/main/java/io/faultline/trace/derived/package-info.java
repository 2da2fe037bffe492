/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Metrics derived from spans as they arrive, named and labelled as Grafana Tempo's metrics
 * generator names them (span metrics and the service graph), written back through the ingest
 * pipeline as ordinary OTLP metrics.
 */
package io.faultline.trace.derived;
