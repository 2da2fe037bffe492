/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The read side of alerting and SLOs for other components (the chaos agent's halt conditions):
 * {@link io.faultline.core.alert.AlertStatus} answers "is alert X firing?" and "what is SLO Y's
 * burn rate over window W?". Implemented by module {@code alerting}.
 */
package io.faultline.core.alert;
