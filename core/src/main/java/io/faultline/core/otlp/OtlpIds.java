/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.core.otlp;

import com.google.protobuf.ByteString;

/**
 * Trace and span ids between their OTLP bytes and their hex text, as OTLP/JSON, W3C trace context
 * and Jaeger write them.
 *
 * <p>Parsing is strict: a trace id is exactly 32 hex characters (16 bytes) and a span id exactly 16
 * (8 bytes); upper- and lower-case digits are both accepted. Output is always lower case. For
 * example {@code traceIdFromHex("5B8EFFF798038103D269B633813FC60C")} gives 16 bytes, and {@code
 * toHex} of those bytes gives {@code "5b8efff798038103d269b633813fc60c"}; {@code "5b8e"} (too
 * short) and {@code "5b8efff798038103d269b633813fc60g"} (not hex) are rejected with an {@link
 * IllegalArgumentException} that says why.
 *
 * <p>The {@code isValid*} methods also follow W3C trace context and OpenTelemetry in treating an
 * all-zero id as invalid (it means "no id"), while the parsing methods accept it, since it is
 * well-formed. All methods are stateless and thread-safe.
 */
public final class OtlpIds {

  /** Length of a trace id in bytes. */
  public static final int TRACE_ID_BYTES = 16;

  /** Length of a span id in bytes. */
  public static final int SPAN_ID_BYTES = 8;

  /** Length of a trace id in hex characters. */
  public static final int TRACE_ID_HEX_LENGTH = 2 * TRACE_ID_BYTES;

  /** Length of a span id in hex characters. */
  public static final int SPAN_ID_HEX_LENGTH = 2 * SPAN_ID_BYTES;

  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

  private OtlpIds() {}

  /**
   * The 16 bytes of a trace id written as 32 hex characters.
   *
   * @throws IllegalArgumentException if the text is not exactly 32 hex characters
   */
  public static byte[] traceIdFromHex(CharSequence hex) {
    return fromHex(hex, TRACE_ID_BYTES, "trace id");
  }

  /**
   * The 8 bytes of a span id written as 16 hex characters.
   *
   * @throws IllegalArgumentException if the text is not exactly 16 hex characters
   */
  public static byte[] spanIdFromHex(CharSequence hex) {
    return fromHex(hex, SPAN_ID_BYTES, "span id");
  }

  /** {@link #traceIdFromHex} as a {@link ByteString}, ready for an OTLP message builder. */
  public static ByteString traceIdByteString(CharSequence hex) {
    return ByteString.copyFrom(traceIdFromHex(hex));
  }

  /** {@link #spanIdFromHex} as a {@link ByteString}, ready for an OTLP message builder. */
  public static ByteString spanIdByteString(CharSequence hex) {
    return ByteString.copyFrom(spanIdFromHex(hex));
  }

  /**
   * Bytes of any length as lower-case hex, two characters per byte; empty bytes give {@code ""}.
   */
  public static String toHex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX_DIGITS[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX_DIGITS[bytes[i] & 0xf];
    }
    return new String(out);
  }

  /** {@link #toHex(byte[])} for a {@link ByteString}, as OTLP messages hold ids. */
  public static String toHex(ByteString bytes) {
    char[] out = new char[bytes.size() * 2];
    for (int i = 0; i < bytes.size(); i++) {
      byte b = bytes.byteAt(i);
      out[2 * i] = HEX_DIGITS[(b >> 4) & 0xf];
      out[2 * i + 1] = HEX_DIGITS[b & 0xf];
    }
    return new String(out);
  }

  /** True for 32 hex characters (either case) that are not all zeros. */
  public static boolean isValidTraceId(CharSequence hex) {
    return isValidHex(hex, TRACE_ID_HEX_LENGTH);
  }

  /** True for 16 hex characters (either case) that are not all zeros. */
  public static boolean isValidSpanId(CharSequence hex) {
    return isValidHex(hex, SPAN_ID_HEX_LENGTH);
  }

  /** True for exactly 16 bytes that are not all zeros. */
  public static boolean isValidTraceId(byte[] id) {
    return id != null && id.length == TRACE_ID_BYTES && !allZero(id);
  }

  /** True for exactly 8 bytes that are not all zeros. */
  public static boolean isValidSpanId(byte[] id) {
    return id != null && id.length == SPAN_ID_BYTES && !allZero(id);
  }

  /** True for exactly 16 bytes that are not all zeros. */
  public static boolean isValidTraceId(ByteString id) {
    return id != null && id.size() == TRACE_ID_BYTES && !allZero(id.toByteArray());
  }

  /** True for exactly 8 bytes that are not all zeros. */
  public static boolean isValidSpanId(ByteString id) {
    return id != null && id.size() == SPAN_ID_BYTES && !allZero(id.toByteArray());
  }

  /**
   * Decodes hex into exactly {@code byteLength} bytes.
   *
   * @param what names the id in the exception message, e.g. {@code "trace id"}
   * @throws IllegalArgumentException naming the problem: null, wrong length, or a non-hex character
   *     and its index
   */
  static byte[] fromHex(CharSequence hex, int byteLength, String what) {
    if (hex == null) {
      throw new IllegalArgumentException(
          what + ": expected " + 2 * byteLength + " hex characters, got null");
    }
    if (hex.length() != 2 * byteLength) {
      throw new IllegalArgumentException(
          what + ": expected " + 2 * byteLength + " hex characters, got " + hex.length());
    }
    byte[] out = new byte[byteLength];
    for (int i = 0; i < byteLength; i++) {
      int hi = digit(hex, 2 * i, what);
      int lo = digit(hex, 2 * i + 1, what);
      out[i] = (byte) ((hi << 4) | lo);
    }
    return out;
  }

  private static int digit(CharSequence hex, int index, String what) {
    int d = hexValue(hex.charAt(index));
    if (d < 0) {
      throw new IllegalArgumentException(
          what
              + ": invalid hex character '"
              + printable(hex.charAt(index))
              + "' at index "
              + index);
    }
    return d;
  }

  private static String printable(char c) {
    return Character.isISOControl(c) || Character.isWhitespace(c)
        ? String.format("\\u%04x", (int) c)
        : String.valueOf(c);
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static boolean isValidHex(CharSequence hex, int length) {
    if (hex == null || hex.length() != length) {
      return false;
    }
    boolean nonZero = false;
    for (int i = 0; i < length; i++) {
      int d = hexValue(hex.charAt(i));
      if (d < 0) {
        return false;
      }
      nonZero |= d != 0;
    }
    return nonZero;
  }

  private static boolean allZero(byte[] id) {
    for (byte b : id) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
