/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * What every shop service shares: JSON logs to a Logstash TCP input, Chaos Monkey's actuator
 * endpoints behind basic auth, shop-wide defaults, and W3C trace context in message headers.
 */
package io.faultline.samples.support;
