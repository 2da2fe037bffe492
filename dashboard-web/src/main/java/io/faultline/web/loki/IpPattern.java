/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.loki;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The argument of LogQL's {@code ip("...")}: one address ({@code 10.0.0.1}), a CIDR prefix
 * ({@code 192.168.0.0/16}) or an inclusive range ({@code 10.0.0.1-10.0.0.255}), IPv4 or IPv6, as
 * Go's netip and netipx parse them (IPv4 octets without leading zeros; an IPv4 address never
 * matches an IPv6 pattern). {@link #foundIn} looks for a matching address anywhere in a text, as
 * Loki's ip filter does for lines and label values alike.
 */
final class IpPattern {
  private static final String IPV4_CHARS = "0123456789.";
  private static final String IPV6_CHARS = "0123456789abcdefABCDEF:.";

  private final byte[] low;
  private final byte[] high;

  private IpPattern(byte[] low, byte[] high) {
    this.low = low;
    this.high = high;
  }

  /**
   * @throws IllegalArgumentException {@code ip: invalid pattern: "x"}, in Loki's words
   */
  static IpPattern parse(String pattern) {
    byte[] single = address(pattern);
    if (single != null) {
      return new IpPattern(single, single);
    }
    int slash = pattern.indexOf('/');
    if (slash > 0) {
      byte[] base = address(pattern.substring(0, slash));
      String bits = pattern.substring(slash + 1);
      if (base != null && bits.matches("0|[1-9][0-9]{0,2}") && Integer.parseInt(bits) <= base.length * 8) {
        int n = Integer.parseInt(bits);
        byte[] lo = base.clone();
        byte[] hi = base.clone();
        for (int b = n; b < base.length * 8; b++) {
          lo[b / 8] &= (byte) ~(0x80 >> (b % 8));
          hi[b / 8] |= (byte) (0x80 >> (b % 8));
        }
        return new IpPattern(lo, hi);
      }
    }
    int dash = pattern.indexOf('-');
    if (dash > 0) {
      byte[] from = address(pattern.substring(0, dash));
      byte[] to = address(pattern.substring(dash + 1));
      if (from != null && to != null && from.length == to.length && Arrays.compareUnsigned(from, to) <= 0) {
        return new IpPattern(from, to);
      }
    }
    throw new IllegalArgumentException("ip: invalid pattern: \"" + pattern + "\"");
  }

  /** True when {@code text} holds an address this pattern contains. */
  boolean foundIn(String text) {
    int n = text.length();
    for (int i = 0; i < n; i++) {
      String charset = null;
      if (i + 3 < n && ipv4Hint(text, i)) {
        charset = IPV4_CHARS;
      } else if (i + 4 < n && ipv6Hint(text, i)) {
        charset = IPV6_CHARS;
      }
      if (charset == null) {
        continue;
      }
      int end = i;
      while (end < n && charset.indexOf(text.charAt(end)) >= 0) {
        end++;
      }
      byte[] ip = address(text.substring(i, end));
      if (ip != null && contains(ip)) {
        return true;
      }
      i = end; // the loop's i++ steps past the character that ended the candidate, as Loki does
    }
    return false;
  }

  private boolean contains(byte[] ip) {
    return ip.length == low.length && Arrays.compareUnsigned(low, ip) <= 0 && Arrays.compareUnsigned(ip, high) <= 0;
  }

  private static boolean ipv4Hint(String t, int i) {
    return Character.isDigit(t.charAt(i)) && (t.charAt(i + 1) == '.' || t.charAt(i + 2) == '.' || t.charAt(i + 3) == '.');
  }

  private static boolean ipv6Hint(String t, int i) {
    if (t.charAt(i) == ':' && t.charAt(i + 1) == ':' && hex(t.charAt(i + 2))) {
      return true;
    }
    for (int k = 1; k <= 4; k++) {
      boolean allHex = true;
      for (int j = 0; j < k; j++) {
        allHex &= hex(t.charAt(i + j));
      }
      if (allHex && t.charAt(i + k) == ':') {
        return true;
      }
    }
    return false;
  }

  private static boolean hex(char c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
  }

  /** The address's bytes (4 or 16), or null when {@code s} is not an address netip would accept. */
  static byte[] address(String s) {
    if (s.indexOf(':') < 0) {
      String[] parts = s.split("\\.", -1);
      if (parts.length != 4) {
        return null;
      }
      byte[] out = new byte[4];
      for (int k = 0; k < 4; k++) {
        if (!parts[k].matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(parts[k]) > 255) {
          return null;
        }
        out[k] = (byte) Integer.parseInt(parts[k]);
      }
      return out;
    }
    if (!hex(s.charAt(0)) && s.charAt(0) != ':') {
      return null; // InetAddress only skips the name lookup for text that starts like an address
    }
    for (int k = 0; k < s.length(); k++) {
      if (IPV6_CHARS.indexOf(s.charAt(k)) < 0) {
        return null;
      }
    }
    try {
      // a literal with ':' is parsed, never looked up; an IPv4-mapped one comes back as 4 bytes
      byte[] b = InetAddress.getByName(s).getAddress();
      if (b.length == 4) {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(b, 0, mapped, 12, 4);
        return mapped;
      }
      return b;
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
