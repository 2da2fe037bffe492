/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/** OTLP/HTTP: {@code POST /v1/<signal>} in protobuf or JSON on a standalone Jetty server. */
package io.faultline.collector.otlp.http;
