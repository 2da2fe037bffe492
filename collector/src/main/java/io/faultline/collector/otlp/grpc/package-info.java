/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/** OTLP/gRPC: the standard collector services on grpc-java (Netty), over the shared collector. */
package io.faultline.collector.otlp.grpc;
