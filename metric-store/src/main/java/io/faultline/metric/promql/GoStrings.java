/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Go-compatible string helpers. PromQL strings may hold bytes that are not UTF-8 (via {@code
 * \xNN}); such bytes are kept as lone surrogates U+DC80..U+DCFF so that validation can reject
 * them and messages can print them as Go does.
 */
final class GoStrings {
  private GoStrings() {}

  static String decodeUtf8(byte[] bytes) {
    CharsetDecoder dec =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return dec.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return decodeLenient(bytes);
    }
  }

  private static String decodeLenient(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < bytes.length) {
      int b = bytes[i] & 0xff;
      int len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
      if (len > 0 && i + len <= bytes.length) {
        try {
          CharBuffer cb =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(bytes, i, len));
          sb.append(cb);
          i += len;
          continue;
        } catch (CharacterCodingException e) {
          // fall through to escape the single byte
        }
      }
      sb.append((char) (0xDC00 | b));
      i++;
    }
    return sb.toString();
  }

  /** Whether the string is valid UTF-8 (no escaped raw bytes) and not empty. */
  static boolean isValidLabelName(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        return false;
      }
      if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** Go's %q rendering of a string. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0xDC80 && c <= 0xDCFF && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
        sb.append(String.format("\\x%02x", c & 0xff));
        continue;
      }
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\t':
          sb.append("\\t");
          break;
        case '\r':
          sb.append("\\r");
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"').toString();
  }
}
