package dev.ringfence.samples.deny;

import dev.ringfence.api.Context;
import dev.ringfence.api.Handler;
import dev.ringfence.api.Request;
import dev.ringfence.api.Response;
import java.io.StringReader;
import java.io.StringWriter;
import javax.xml.transform.Templates;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.stream.StreamResult;
import javax.xml.transform.stream.StreamSource;

/**
 * Compiles an XSLT stylesheet: the JDK's XSLTC turns it into bytecode and defines it in a class
 * loader of its own, code the instrumenter never sees (a crafted, serialized {@code Templates}
 * object runs arbitrary code the same way). Must end {@code DENIED}.
 */
public class XsltTranslet implements Handler {
    private static final String XSL = "<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>"
            + "<xsl:template match='/'>ok</xsl:template></xsl:stylesheet>";

    /** Creates the handler. */
    public XsltTranslet() {
    }

    @Override
    public Response handle(Request request, Context context) throws Exception {
        Templates t = TransformerFactory.newInstance().newTemplates(new StreamSource(new StringReader(XSL)));
        StringWriter out = new StringWriter();
        t.newTransformer().transform(new StreamSource(new StringReader("<a/>")), new StreamResult(out));
        return Response.ok("escaped: unmetered translet ran: " + out);
    }
}
