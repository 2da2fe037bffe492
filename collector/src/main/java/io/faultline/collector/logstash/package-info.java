/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The Logstash-style TCP input: newline-delimited JSON log events as logstash-logback-encoder's TCP
 * appender writes them, mapped onto OTLP log records and group-committed through the sink.
 */
package io.faultline.collector.logstash;
