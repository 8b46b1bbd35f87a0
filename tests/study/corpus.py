"""Synthetic lectures with known content, and questions whose answer lies in one topic.

Six lectures of three topics each; topics share everyday words across lectures ("energy", "cell",
"rate", "water") so that a question cannot be answered by one rare word alone. The questions are
paraphrases, not copies of a sentence. ``TUNING`` was used while choosing the retrieval's
weights; ``HELD_OUT`` was written at the same time and not looked at until the weights were
fixed: its hit rate is the one to believe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LECTURES: dict[str, list[tuple[str, list[str]]]] = {
    "Plant biology": [
        (
            "photosynthesis",
            [
                "Plants use light to make sugar from water and carbon dioxide.",
                "The light is caught by chlorophyll in the leaf.",
                "Chlorophyll is green because it reflects green light and absorbs red and blue light.",
                "Photosynthesis is the process by which plants turn light energy into chemical energy.",
                "Oxygen leaves the leaf through small pores as a waste product.",
                "The sugar feeds the plant and stores energy for the night.",
                "So light, water and carbon dioxide become sugar and oxygen in the leaf.",
            ],
        ),
        (
            "roots and water",
            [
                "Roots anchor the plant in the soil and take up water.",
                "Water enters the root hairs by osmosis.",
                "Osmosis is defined as the movement of water across a membrane towards the saltier side.",
                "The water then rises through the xylem, a set of thin tubes in the stem.",
                "Evaporation from the leaves pulls the column of water upwards.",
                "This pull is called transpiration and it can lift water to the top of tall trees.",
                "On a hot dry day a plant closes its pores to lose less water.",
            ],
        ),
        (
            "flowers and seeds",
            [
                "Flowers are how many plants reproduce.",
                "Bees carry pollen from one flower to another.",
                "Pollination is the transfer of pollen from the male part to the female part of a flower.",
                "After pollination the ovary grows into a fruit that holds the seeds.",
                "Animals eat the fruit and spread the seeds far from the parent plant.",
                "A seed can wait in the ground for years until there is enough warmth and moisture.",
                "Germination begins when the seed swells with water and the embryo starts to grow.",
            ],
        ),
    ],
    "Modern history": [
        (
            "french revolution",
            [
                "The French revolution began in Paris in seventeen eighty nine.",
                "The people of Paris were hungry and angry at the king.",
                "The king had spent the money of France on wars and on the palace at Versailles.",
                "A crowd stormed the Bastille prison on the fourteenth of July.",
                "The revolution ended the absolute power of the monarchy.",
                "France became a republic and the king was executed.",
                "The ideas of liberty and equality spread across Europe.",
            ],
        ),
        (
            "industrial revolution",
            [
                "The industrial revolution started in Britain in the late eighteenth century.",
                "Steam engines drove machines in large factories.",
                "Cotton mills in Manchester spun thread faster than any hand could.",
                "Workers moved from the countryside into crowded cities.",
                "Children worked long shifts in mills and mines for very low wages.",
                "Railways carried coal and goods across the country in hours instead of days.",
                "Later laws limited working hours and banned the youngest children from factories.",
            ],
        ),
        (
            "first world war",
            [
                "The first world war began in nineteen fourteen.",
                "The assassination of the archduke in Sarajevo set off a chain of alliances.",
                "Soldiers dug long lines of trenches across northern France.",
                "Trench warfare meant months of fighting for a few hundred metres of mud.",
                "New weapons such as machine guns, gas and tanks killed millions.",
                "The war ended with an armistice in November nineteen eighteen.",
                "The treaty of Versailles forced Germany to pay heavy reparations.",
            ],
        ),
    ],
    "Geometry basics": [
        (
            "volume of a cube",
            [
                "A cube has six square faces and twelve edges.",
                "Every edge of a cube has the same length.",
                "The volume of a cube is the length of an edge cubed.",
                "For example a cube with an edge of two metres has a volume of eight cubic metres.",
                "Doubling the edge multiplies the volume by eight.",
                "The surface area of a cube is six times the area of one face.",
                "In summary the volume grows with the cube of the edge and the surface with its square.",
            ],
        ),
        (
            "circles",
            [
                "A circle is the set of points at the same distance from its centre.",
                "That distance is called the radius.",
                "The diameter is twice the radius.",
                "The circumference of a circle is pi times the diameter.",
                "Pi is roughly three point one four and its digits never repeat.",
                "The area of a circle is pi times the radius squared.",
                "For example a circle with a radius of ten centimetres has an area of about three hundred fourteen square centimetres.",
            ],
        ),
        (
            "right triangles",
            [
                "A right triangle has one angle of ninety degrees.",
                "The longest side, opposite the right angle, is called the hypotenuse.",
                "Pythagoras showed that the squares of the two short sides add up to the square of the hypotenuse.",
                "For example sides of three and four give a hypotenuse of five.",
                "Builders use this rule to check that a corner is square.",
                "The sine of an angle is the opposite side divided by the hypotenuse.",
                "The cosine is the adjacent side divided by the hypotenuse.",
            ],
        ),
    ],
    "Human physiology": [
        (
            "heart and blood",
            [
                "The heart is a muscle that pumps blood around the body.",
                "It has four chambers, two atria and two ventricles.",
                "Arteries carry blood away from the heart and veins bring it back.",
                "Red blood cells carry oxygen using a protein called haemoglobin.",
                "The heart of a resting adult beats about seventy times a minute.",
                "Blood pressure is the force of the blood pushing against the walls of the arteries.",
                "Exercise makes the heart beat faster to deliver more oxygen to the muscles.",
            ],
        ),
        (
            "digestion",
            [
                "Digestion breaks food down into molecules the body can absorb.",
                "Chewing and saliva start the work in the mouth.",
                "Enzymes are proteins that speed up chemical reactions without being used up.",
                "In the stomach acid and enzymes break down proteins.",
                "Most nutrients are absorbed in the small intestine through millions of tiny villi.",
                "The large intestine takes back water from what is left.",
                "Fibre cannot be digested but it keeps the gut moving.",
            ],
        ),
        (
            "nerves",
            [
                "The nervous system carries signals between the brain and the body.",
                "A neuron is a cell that carries electrical signals.",
                "Signals travel along the axon as a wave of charged ions.",
                "Between two neurons there is a small gap called a synapse.",
                "At the synapse chemicals called neurotransmitters carry the signal across.",
                "A reflex such as pulling your hand from a hot stove skips the brain and goes through the spinal cord.",
                "That is why a reflex is faster than a decision you think about.",
            ],
        ),
    ],
    "Physics of energy": [
        (
            "kinetic and potential energy",
            [
                "Energy is the ability to do work.",
                "Kinetic energy is the energy an object has because it moves.",
                "It grows with the mass and with the square of the speed.",
                "Potential energy is stored energy, for example in a ball held above the ground.",
                "When the ball falls its potential energy turns into kinetic energy.",
                "Energy is never created or destroyed, only changed from one form to another.",
                "This rule is called the conservation of energy.",
            ],
        ),
        (
            "heat and temperature",
            [
                "Temperature measures how fast the particles of a substance move on average.",
                "Heat is energy that flows from a hotter body to a colder one.",
                "Metals conduct heat well, which is why a metal spoon in hot tea gets hot.",
                "Air and wool are poor conductors, so they insulate.",
                "Warm air rises and cold air sinks, which sets up convection currents.",
                "The sun warms the earth by radiation across empty space.",
                "Water needs a lot of energy to warm up, so the sea changes temperature slowly.",
            ],
        ),
        (
            "electricity",
            [
                "An electric current is a flow of charge through a wire.",
                "Voltage is the push that drives the current around a circuit.",
                "Resistance slows the current down and turns some energy into heat.",
                "Ohm's law says the voltage equals the current times the resistance.",
                "Power in watts is the voltage times the current.",
                "In a series circuit the same current flows through every bulb.",
                "In a parallel circuit each bulb has its own path, so one broken bulb does not switch off the others.",
            ],
        ),
    ],
    "Introduction to economics": [
        (
            "supply and demand",
            [
                "Economics studies how people choose to use scarce resources.",
                "Demand is how much of a good people want to buy at each price.",
                "When the price rises people usually buy less.",
                "Supply is how much producers are willing to sell at each price.",
                "The market price settles where supply meets demand.",
                "A poor harvest cuts the supply of wheat and pushes its price up.",
                "Economists call that meeting point the equilibrium.",
            ],
        ),
        (
            "inflation",
            [
                "Inflation is the rate at which prices rise over time.",
                "When prices rise each pound or dollar buys less.",
                "Central banks raise interest rates to slow inflation down.",
                "Higher interest rates make borrowing dearer so people spend less.",
                "Very high inflation, called hyperinflation, wiped out savings in Germany in the nineteen twenties.",
                "A little inflation of about two percent a year is the usual target.",
                "Wages that do not keep up with inflation mean workers grow poorer.",
            ],
        ),
        (
            "trade",
            [
                "Countries trade because each is better at making some things than others.",
                "Comparative advantage means a country should make what it gives up least to make.",
                "Portugal and England traded wine for cloth in the classic example by Ricardo.",
                "A tariff is a tax on imported goods.",
                "Tariffs protect local producers but raise prices for consumers.",
                "The exchange rate is the price of one currency in another.",
                "A weak currency makes exports cheaper abroad.",
            ],
        ),
    ],
}

# (question, lecture, topic): paraphrases whose answer lies in that topic alone.
TUNING: list[tuple[str, str, str]] = [
    ("Why are leaves green?", "Plant biology", "photosynthesis"),
    ("How does water get from the soil into the root?", "Plant biology", "roots and water"),
    ("What do bees have to do with fruit?", "Plant biology", "flowers and seeds"),
    ("When did people storm the Bastille?", "Modern history", "french revolution"),
    ("Why did families move to the cities in Britain?", "Modern history", "industrial revolution"),
    ("What started the first world war?", "Modern history", "first world war"),
    ("How do you work out how much a cube holds?", "Geometry basics", "volume of a cube"),
    ("How is the circumference of a circle found?", "Geometry basics", "circles"),
    ("What is the hypotenuse?", "Geometry basics", "right triangles"),
    ("Which blood vessels take blood away from the heart?", "Human physiology", "heart and blood"),
    ("What do enzymes do?", "Human physiology", "digestion"),
    ("What is a synapse?", "Human physiology", "nerves"),
    (
        "What happens to the energy of a falling ball?",
        "Physics of energy",
        "kinetic and potential energy",
    ),
    ("Why does a metal spoon get hot in tea?", "Physics of energy", "heat and temperature"),
    ("What does Ohm's law say?", "Physics of energy", "electricity"),
    ("What sets the market price?", "Introduction to economics", "supply and demand"),
    ("How do central banks fight inflation?", "Introduction to economics", "inflation"),
    ("What is a tariff?", "Introduction to economics", "trade"),
]

HELD_OUT: list[tuple[str, str, str]] = [
    ("Which gas do plants give off as waste?", "Plant biology", "photosynthesis"),
    ("What is transpiration?", "Plant biology", "roots and water"),
    ("What makes a seed start to grow?", "Plant biology", "flowers and seeds"),
    ("Why were the people of Paris angry with the king?", "Modern history", "french revolution"),
    ("What did steam engines power?", "Modern history", "industrial revolution"),
    ("What was life like in the trenches?", "Modern history", "first world war"),
    ("What happens to the volume when you double the edge?", "Geometry basics", "volume of a cube"),
    ("What is the area of a circle?", "Geometry basics", "circles"),
    ("What did Pythagoras show?", "Geometry basics", "right triangles"),
    ("How often does the heart beat at rest?", "Human physiology", "heart and blood"),
    ("Where are most nutrients absorbed?", "Human physiology", "digestion"),
    ("Why is a reflex so fast?", "Human physiology", "nerves"),
    ("What is the conservation of energy?", "Physics of energy", "kinetic and potential energy"),
    ("How does the sun heat the earth?", "Physics of energy", "heat and temperature"),
    ("What is different about a parallel circuit?", "Physics of energy", "electricity"),
    (
        "What happens to the price of wheat after a bad harvest?",
        "Introduction to economics",
        "supply and demand",
    ),
    ("What is hyperinflation?", "Introduction to economics", "inflation"),
    ("Why do countries trade with each other?", "Introduction to economics", "trade"),
]


@dataclass(frozen=True)
class Span:
    lecture: str
    topic: str
    start: float
    end: float


def lecture_segments(
    topics: list[tuple[str, list[str]]], *, word: float = 0.4, pause: float = 2.0
) -> tuple[list[dict[str, Any]], dict[str, tuple[float, float]]]:
    """Segments (one a sentence, with word timings) and each topic's (start, end)."""
    segments: list[dict[str, Any]] = []
    spans: dict[str, tuple[float, float]] = {}
    position = 0.0
    for name, sentences in topics:
        first = position
        for sentence in sentences:
            words = []
            for token in sentence.split():
                words.append(
                    {"start": position, "end": position + word * 0.9, "word": " " + token,
                     "probability": 0.9}
                )  # fmt: skip
                position += word
            segments.append(
                {"start": round(words[0]["start"], 3), "end": round(words[-1]["end"], 3),
                 "text": sentence, "words": words}
            )  # fmt: skip
            position += 0.3
        spans[name] = (first, position)
        position += pause
    return segments, spans
