/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * The experiment model, its JSON/YAML parser with field-path validation, and its canonical JSON.
 */
package io.faultline.chaos.experiment;
