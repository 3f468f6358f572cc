package io.rotor.strategies.builtin.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.rotor.api.RotationStrategy;
import java.io.InputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Checks the DS descriptors bnd generated from the annotations (target/classes/OSGI-INF). */
class ComponentDescriptorsTest {

    @ParameterizedTest
    @CsvSource({
        "RoundRobinStrategy, round-robin",
        "LeastUsedStrategy, least-used",
        "RandomStrategy, random",
        "PriorityStrategy, priority",
        "StickyStrategy, sticky",
        "WeightedStrategy, weighted"})
    void registersEachStrategyUnderItsName(String simpleName, String strategyName) throws Exception {
        String component = ComponentDescriptorsTest.class.getPackageName() + "." + simpleName;
        Document descriptor;
        try (InputStream xml = getClass().getClassLoader().getResourceAsStream("OSGI-INF/" + component + ".xml")) {
            assertNotNull(xml, "no descriptor for " + component);
            descriptor = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml);
        }

        Element property = (Element) descriptor.getElementsByTagName("property").item(0);
        Element provide = (Element) descriptor.getElementsByTagName("provide").item(0);
        Element implementation = (Element) descriptor.getElementsByTagName("implementation").item(0);
        assertEquals(RotationStrategy.NAME, property.getAttribute("name"));
        assertEquals(strategyName, property.getAttribute("value"));
        assertEquals(RotationStrategy.class.getName(), provide.getAttribute("interface"));
        assertEquals(component, implementation.getAttribute("class"));
    }
}
