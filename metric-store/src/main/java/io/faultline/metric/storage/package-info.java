/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The read side of the metric store as the PromQL engine sees it: label sets, matchers and
 * sample series, plus an in-memory implementation for tests and small deployments.
 */
package io.faultline.metric.storage;
