/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The OTLP receivers' shared machinery: per-signal validation, rejection reasons and self-metrics.
 * Public only so the gRPC and HTTP packages can use it; other modules must not import it.
 */
package io.faultline.collector.otlp.internal;
