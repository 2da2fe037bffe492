/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The {@code bench} command: end-to-end benchmarks that start Faultline (and Zipkin, for
 * comparison) as child processes, drive them with a realistic load and print a table of figures.
 */
package io.faultline.server.bench;
