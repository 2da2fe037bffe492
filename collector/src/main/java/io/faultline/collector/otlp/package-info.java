/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * OTLP ingest shared by every transport: {@link io.faultline.collector.otlp.OtlpCollector}
 * validates, counts and hands requests to the sink; the {@code grpc} and {@code http} packages are
 * the thin network edges.
 */
package io.faultline.collector.otlp;
