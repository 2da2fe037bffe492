/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * {@code faultline demo}: the platform, the sample shop's services and the traffic generator as
 * child processes on loopback, wired to each other, and stopped together.
 */
package io.faultline.server.demo;
