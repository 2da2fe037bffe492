/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.alert;

import java.time.Duration;
import java.util.List;

/**
 * One validated rule group.
 *
 * @param file the file it came from (or a synthetic name such as {@code slo:checkout})
 * @param interval its own evaluation interval, or null for the global one
 * @param limit at most this many series (alerts) per rule, 0 for no limit
 */
record GroupSpec(String file, String name, Duration interval, int limit, List<RuleSpec> rules) {}
