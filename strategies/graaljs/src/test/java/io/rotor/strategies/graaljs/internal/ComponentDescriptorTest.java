package io.rotor.strategies.graaljs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Checks the DS descriptor bnd generated for the watcher (target/classes/OSGI-INF). */
class ComponentDescriptorTest {

    @Test
    void theWatcherIsConfiguredByPidRotorWithTheDocumentedKeys() throws Exception {
        String component = ScriptDirectoryWatcher.class.getName();
        Document descriptor;
        try (InputStream xml = getClass().getClassLoader().getResourceAsStream("OSGI-INF/" + component + ".xml")) {
            assertNotNull(xml, "no descriptor for " + component);
            descriptor = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml);
        }
        Element root = descriptor.getDocumentElement();
        assertEquals("rotor", root.getAttribute("configuration-pid"));
        assertEquals("require", root.getAttribute("configuration-policy"));
        assertEquals(0, descriptor.getElementsByTagName("service").getLength(), "it registers its strategies itself");
        Map<String, String> defaults = new HashMap<>();
        NodeList properties = descriptor.getElementsByTagName("property");
        for (int i = 0; i < properties.getLength(); i++) {
            Element property = (Element) properties.item(i);
            defaults.put(property.getAttribute("name"), property.getAttribute("value"));
        }
        assertEquals(Map.of("plugins.dir", "plugins", "script.timeoutMs", "50"), defaults);
    }
}
