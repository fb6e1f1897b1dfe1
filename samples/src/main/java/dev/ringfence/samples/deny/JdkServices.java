package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.nio.charset.Charset;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Currency;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import java.util.logging.Logger;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Uses JDK services whose first use initialises JDK state lazily, reading JDK data files, seeding
 * from the kernel's random device, registering shutdown hooks or starting JDK threads inside
 * static initialisers: random UUIDs, {@link SecureRandom}, time zones, currencies, locale data, a
 * charset, a digest, a cipher and a {@code java.util.logging} logger. The gates must let the JDK do
 * that for the handler (and must not leave a JDK class broken for the host); run it first in a
 * fresh JVM to exercise the initialisers.
 *
 * <p>Outcome: {@code OK} with a line of results under the default policy and any budget that
 * allows a few hundred milliseconds and a few megabytes.
 */
public class JdkServices implements Handler {
    /** Creates the handler. */
    public JdkServices() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        StringBuilder out = new StringBuilder();
        out.append(UUID.randomUUID().toString().length()).append(' ');
        out.append(new SecureRandom().nextInt(1) == 0).append(' ');
        ZonedDateTime epoch = ZonedDateTime.of(2024, 1, 1, 12, 0, 0, 0, ZoneId.of("Europe/Paris"));
        out.append(epoch.format(DateTimeFormatter.ofPattern("EEEE d MMMM", Locale.FRANCE))).append(' ');
        out.append(Currency.getInstance("EUR").getSymbol(Locale.FRANCE)).append(' ');
        out.append(Charset.forName("windows-1252").name()).append(' ');
        byte[] digest = MessageDigest.getInstance("SHA-256").digest("ringfence".getBytes("UTF-8"));
        out.append(HexFormat.of().formatHex(digest, 0, 4)).append(' ');
        Cipher aes = Cipher.getInstance("AES/ECB/PKCS5Padding");
        aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[16], "AES"));
        out.append(aes.doFinal(new byte[3]).length).append(' ');
        Logger.getLogger("dev.ringfence.samples.deny").fine("not shown at the default level");
        out.append(String.format(Locale.GERMANY, "%,.2f", 1234.5));
        return Response.ok(out.toString());
    }
}
