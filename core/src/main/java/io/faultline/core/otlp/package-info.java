/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * OTLP helpers shared by receivers, stores and query APIs: trace and span ids as hex, attribute
 * values as text, and OTLP/JSON as the OTLP specification defines it (hex ids, integer enums).
 */
package io.faultline.core.otlp;
