"""Eight lectures for the study and highlights bench (issue 26), written for it, with what a
student should get from each, set down BEFORE anything was run on them.

Each lecture is a list of topics, each topic a list of paragraphs the lecturer says (espeak-ng
speaks them, Whisper transcribes them: the notes are judged on the transcript, not on this text).
For each lecture:

- ``terms``: the key terms a student should find in the glossary. Alternatives a student would
  accept for the same term are separated by "|".
- ``flagged``: the sentences the lecturer flags (signposts: the most important point, an exam
  hint, the key insight, a summary, a common mistake, a question to the audience and its answer,
  a worked example). Each is a sentence of the text, word for word.
- ``slides``: the slides' text per topic, where the lecture has slides (read as the slide stage
  would give it; the bench passes it to the notes as the slides' words).

The split, decided before the first run and kept: **tuning** = tectonics, markets, immunity (20
minutes), zelle (German); **held out** = sorting, rome (20 minutes), thermo (French), bayes. Only
the tuning half was looked at while the analysis was written or tuned; the held-out figures are
reported separately.

How a glossary entry is matched to a term (decided now, too): both are lower-cased, stripped of
punctuation and of a leading article, and each word lightly stemmed (``jobs.highlights.text.stem``);
an entry matches a term when one of its alternatives equals the entry, or the entry contains the
alternative as a run of words (a longer phrase holding the term), or the alternative contains the
entry and the entry has at least two words. Term recall is the share of terms some entry matches;
precision is the share of entries that match some term. A flagged sentence is "in the summary"
when a summary item holds at least 60 % of its content words; "inside a clip" when a clip's span
covers the middle of its transcribed words.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Lecture:
    name: str
    title: str
    language: str
    split: str  # "tuning" or "held-out"
    topics: list[tuple[str, list[str]]]  # (topic, paragraphs)
    terms: list[str]
    flagged: list[str]
    slides: list[str] = field(default_factory=list)
    long: bool = False

    @property
    def paragraphs(self) -> list[str]:
        return [p for _, paragraphs in self.topics for p in paragraphs]


TECTONICS = Lecture(
    name="tectonics",
    title="Plate tectonics",
    language="en",
    split="tuning",
    topics=[
        (
            "Plates",
            [
                "Good morning everyone. Today we begin with the surface of the earth. The outer "
                "shell of the earth is called the lithosphere. The lithosphere is broken into large "
                "pieces, and each piece is a tectonic plate. The plates float on a softer layer "
                "below them, which is known as the asthenosphere.",
                "Why do the plates move at all? The answer is heat. Hot rock in the mantle rises, "
                "cools and sinks again, and these slow loops are called convection currents. The "
                "plates ride on top of them, a few centimetres every year, about as fast as your "
                "fingernails grow.",
            ],
        ),
        (
            "Boundaries",
            [
                "Where two plates meet we have a plate boundary, and there are three kinds. At a "
                "divergent boundary the plates move apart and new crust forms, as along the mid "
                "ocean ridge in the Atlantic. At a convergent boundary the plates push together.",
                "The key insight is that one plate usually dives under the other, and this process "
                "is called subduction. Subduction builds deep ocean trenches and chains of "
                "volcanoes. At a transform boundary the plates slide past each other, as on the "
                "San Andreas fault in California.",
                "Remember this for the exam: new crust is made at divergent boundaries and "
                "destroyed at convergent ones.",
            ],
        ),
        (
            "Earthquakes",
            [
                "Now let us turn to earthquakes. When plates stick and then slip, the energy is "
                "released as seismic waves. The point under the ground where the slip starts is "
                "the focus, and the point on the surface above it is the epicentre.",
                "Let us work through an example. A station records the first waves, and eight "
                "seconds later the slower waves arrive. Each second of delay means roughly eight "
                "kilometres, so the earthquake was about sixty four kilometres away.",
                "A common mistake is to think the Richter scale is linear. Each step on the scale "
                "means ten times larger waves, so a magnitude seven is a thousand times larger "
                "than a magnitude four.",
            ],
        ),
    ],
    terms=[
        "lithosphere",
        "tectonic plate|plate tectonics",
        "asthenosphere",
        "convection current",
        "plate boundary",
        "divergent boundary",
        "mid ocean ridge",
        "convergent boundary",
        "subduction",
        "transform boundary",
        "San Andreas fault",
        "seismic wave",
        "focus",
        "epicentre|epicenter",
        "Richter scale",
    ],
    flagged=[
        "The key insight is that one plate usually dives under the other, and this process is "
        "called subduction.",
        "Remember this for the exam: new crust is made at divergent boundaries and destroyed at "
        "convergent ones.",
        "Why do the plates move at all?",
        "Let us work through an example.",
        "A common mistake is to think the Richter scale is linear.",
    ],
    slides=[
        "Plate tectonics. Lithosphere, asthenosphere, convection currents",
        "Plate boundaries. Divergent boundary, convergent boundary, subduction, transform boundary",
        "Earthquakes. Seismic waves, focus and epicentre, the Richter scale",
    ],
)

MARKETS = Lecture(
    name="markets",
    title="Supply and demand",
    language="en",
    split="tuning",
    topics=[
        (
            "Demand",
            [
                "Hello and welcome. Today we start with the buyers in a market. The amount of a "
                "good that buyers want at each price is called the demand. If we draw it as a line, "
                "with price going up and quantity going across, we get the demand curve, and it "
                "slopes downward.",
                "The law of demand says that when the price rises, people buy less. How strongly "
                "they react is measured by the price elasticity of demand. Salt has a low "
                "elasticity, because people buy it whatever it costs.",
            ],
        ),
        (
            "Supply",
            [
                "On the other side of the market are the sellers. The supply curve shows how much "
                "firms will sell at each price, and it slopes upward, because a higher price covers "
                "higher costs.",
                "Here is the most important point of the whole lecture: the price settles where the "
                "supply curve and the demand curve cross. This point is known as the market "
                "equilibrium, and the price there is the equilibrium price.",
                "What happens when the price is set above the equilibrium? Sellers offer more than "
                "buyers want, and the difference is a surplus. Below the equilibrium there is a "
                "shortage instead.",
            ],
        ),
        (
            "Interventions",
            [
                "Governments sometimes fix prices. A price ceiling is a legal maximum price, such as "
                "a cap on rents. A price floor is a legal minimum price, such as a minimum wage.",
                "For example, if the rent cap is below the equilibrium, more people want flats than "
                "there are flats to rent, and a shortage follows.",
                "In summary, prices carry information, and a price that is not allowed to move "
                "shows up as a shortage or a surplus.",
            ],
        ),
    ],
    terms=[
        "demand",
        "demand curve",
        "law of demand",
        "price elasticity of demand|price elasticity|elasticity",
        "supply curve",
        "market equilibrium|equilibrium",
        "equilibrium price",
        "surplus",
        "shortage",
        "price ceiling",
        "price floor",
        "minimum wage",
    ],
    flagged=[
        "Here is the most important point of the whole lecture: the price settles where the supply "
        "curve and the demand curve cross.",
        "What happens when the price is set above the equilibrium?",
        "For example, if the rent cap is below the equilibrium, more people want flats than there "
        "are flats to rent, and a shortage follows.",
        "In summary, prices carry information, and a price that is not allowed to move shows up as "
        "a shortage or a surplus.",
    ],
)

IMMUNITY = Lecture(
    name="immunity",
    title="The immune system",
    language="en",
    split="tuning",
    long=True,
    topics=[
        (
            "Barriers",
            [
                "Good afternoon, and welcome to the first lecture on the immune system. Over the "
                "next twenty minutes we will follow an infection from the moment a germ touches "
                "your skin to the moment your body remembers it for years. Let me start with a "
                "simple question. Why are you not ill all the time, when the air, your food and "
                "your hands carry millions of bacteria?",
                "The first answer is that most germs never get in. Your skin is a tough, dry wall "
                "of dead cells, and it is slightly acidic, which most bacteria do not like. Inside "
                "the nose and the lungs the cells are covered with a sticky layer called mucus. "
                "Mucus traps dust and germs, and tiny hairs on the cells, called cilia, sweep it "
                "up and out of the airways.",
                "Your tears and your saliva contain an enzyme known as lysozyme, which breaks down "
                "the walls of many bacteria. Your stomach is full of acid, strong enough to kill "
                "most of what you swallow. And your gut is home to friendly bacteria that leave no "
                "room for harmful ones. Together these defences are called the physical and "
                "chemical barriers.",
                "A germ that causes disease is called a pathogen. Pathogens come in several kinds. "
                "Bacteria are single cells that can live on their own. Viruses are much smaller, "
                "and they can only copy themselves inside our cells. Fungi and parasites complete "
                "the list. Every pathogen has to get past the barriers first, through a cut, a "
                "bite, or the lining of the lungs or the gut.",
            ],
        ),
        (
            "Innate immunity",
            [
                "Once a pathogen is inside, the second line of defence takes over. This is innate "
                "immunity, the defence you are born with. It is fast, it works within minutes or "
                "hours, but it is not specific: it treats every invader in roughly the same way.",
                "The main workers of innate immunity are white blood cells that eat invaders. This "
                "eating is called phagocytosis, and the cells that do it are phagocytes. The most "
                "common phagocyte is the neutrophil, which arrives first and dies after a few days. "
                "A larger and longer lived phagocyte is the macrophage, whose name simply means big "
                "eater.",
                "When tissue is damaged or infected, it sends out chemical signals. Blood vessels "
                "nearby widen and become leaky, so that fluid and white cells can reach the spot. "
                "This response is known as inflammation. You can see and feel it: the area turns "
                "red, warm, swollen and painful.",
                "A common mistake is to think that inflammation is the disease itself. It is not. "
                "Inflammation is your body fighting the disease, and without it small cuts would "
                "turn into dangerous infections.",
                "Sometimes the whole body joins in. Signals from the immune cells reach the brain, "
                "and the brain raises the body temperature. This is what we call a fever. A fever "
                "slows down the growth of many bacteria and speeds up the immune cells. There is "
                "also a group of proteins in the blood, the complement system, that punches holes "
                "in bacteria and marks them to be eaten.",
            ],
        ),
        (
            "Adaptive immunity",
            [
                "Now we come to the third line of defence, and the most remarkable one. Adaptive "
                "immunity is the defence that learns. It is slow the first time, it takes about a "
                "week, but it is specific to one pathogen, and it remembers.",
                "Adaptive immunity depends on recognising molecules. Any molecule that the immune "
                "system can recognise as foreign is called an antigen. An antigen is usually a "
                "protein on the surface of a virus or a bacterium. Each of us carries millions of "
                "different immune cells, and each one recognises only one antigen.",
                "The cells of adaptive immunity are the lymphocytes. There are two main kinds. B "
                "cells are made in the bone marrow, and T cells mature in a small organ behind the "
                "breastbone called the thymus. Both kinds wait in the lymph nodes, small stations "
                "along the lymph vessels, where they meet the antigens brought in from the tissues.",
                "Here is the key insight of the whole topic: the body does not design a new cell "
                "for each pathogen. It already has a cell for almost any antigen, and the "
                "pathogen only selects which cells will multiply. This idea is known as clonal "
                "selection, and it earned a Nobel prize.",
                "How does the pathogen get shown to the right cell? Macrophages and other cells "
                "take pieces of the pathogen and hold them up on their surface. These cells are "
                "known as antigen presenting cells. A helper T cell that fits the antigen is "
                "switched on, and it then switches on the matching B cells and killer T cells.",
            ],
        ),
        (
            "Antibodies",
            [
                "Let us follow the B cells. Once a B cell is switched on, it divides again and "
                "again. Most of its daughters become plasma cells, factories that release "
                "antibodies into the blood. An antibody is a Y shaped protein that fits exactly "
                "one antigen, like a key fits a lock.",
                "What does an antibody actually do? It does not kill anything by itself. It "
                "sticks to the pathogen and marks it. Many antibodies together clump the germs "
                "into groups, block the parts a virus uses to enter our cells, and call the "
                "phagocytes and the complement system to finish the job. Blocking a virus in "
                "this way is called neutralisation.",
                "Let us work through an example. Suppose a child catches chickenpox for the first "
                "time. For about a week the virus spreads, because only a few B cells fit it. By "
                "the second week those cells have multiplied into thousands, the antibody level "
                "rises steeply, and the child gets better. This first slow answer is called the "
                "primary response.",
                "Not all the daughters of the B cell become plasma cells. Some become memory "
                "cells, which live for years or even for life. If the same virus comes back, the "
                "memory cells answer within a day or two, with far more antibodies. This fast "
                "second answer is the secondary response, and it is why most people catch "
                "chickenpox only once.",
            ],
        ),
        (
            "T cells",
            [
                "Antibodies cannot reach a virus once it is hiding inside one of our cells. For "
                "that, the body has killer T cells, also called cytotoxic T cells. A killer T cell "
                "checks the surface of other cells for pieces of foreign protein, and when it "
                "finds one, it makes the infected cell destroy itself.",
                "The helper T cells are the organisers of the whole response. They do not kill "
                "anything, but they release signalling proteins called cytokines that switch on B "
                "cells, killer T cells and macrophages. This is why a virus that destroys helper T "
                "cells, such as HIV, is so dangerous: it removes the organisers, and the whole "
                "defence falls apart.",
                "Sometimes the system makes a mistake and attacks the body's own cells. This is "
                "called autoimmunity. In type one diabetes, for example, killer T cells destroy "
                "the cells of the pancreas that make insulin. Other times the system reacts far "
                "too strongly to something harmless, such as pollen. This overreaction is known "
                "as an allergy.",
                "Be careful not to mix up the two kinds of T cells in the exam. Helper T cells "
                "organise and signal; killer T cells destroy infected cells.",
            ],
        ),
        (
            "Blood groups",
            [
                "Before we come to vaccines, let us look at a place where the immune system gets in the way of medicine: blood transfusion. Your red blood cells carry sugars on their surface, and these sugars act as antigens. The two most important ones are called A and B, and the pattern you carry is your blood group.",
                "If you have the A antigen, you are group A. If you have the B antigen, you are group B. If you have both, you are group AB, and if you have neither, you are group O. Your plasma already carries antibodies against the antigens you do not have. Someone of group A, for instance, carries antibodies against B.",
                "What happens if a patient of group A receives blood of group B? The antibodies in the patient's plasma stick to the new red cells and clump them together. This clumping is called agglutination, and it can block small vessels and kill the patient within hours.",
                "There is a second system of blood antigens, the rhesus factor. People who carry it are rhesus positive, and those who do not are rhesus negative. Group O negative blood carries none of these antigens, which is why a person with this group is known as a universal donor.",
                "Let me give you a way to check your answers. Ask two questions: which antigens are on the donor's cells, and which antibodies are in the patient's plasma? If the patient's antibodies match any antigen of the donor, the transfusion is dangerous.",
            ],
        ),
        (
            "Transplants",
            [
                "The same problem returns, much stronger, when a whole organ is transplanted. Every cell of your body carries a set of surface proteins that works like an identity card. This set of proteins is called the major histocompatibility complex, or MHC for short.",
                "Killer T cells check the identity card of every cell they meet. A kidney from another person carries a different card, so the T cells of the patient attack it as if it were infected. This attack on a transplanted organ is called rejection.",
                "Doctors fight rejection in two ways. First, they look for a donor whose tissue type is as close as possible to the patient's, often a brother or a sister. Second, they give drugs that weaken the immune response, which are known as immunosuppressants.",
                "The price of these drugs is clear. A patient whose immune system is weakened catches infections more easily, and must be watched closely for the rest of their life. This is the main reason why transplant medicine is still so difficult.",
                "I want you to notice how the same defence can help or harm. The T cells that save you from a virus are the same T cells that reject a new kidney. The immune system is not good or bad: it simply attacks what it does not recognise as self.",
            ],
        ),
        (
            "Vaccines",
            [
                "Our last topic brings everything together. A vaccine shows the immune system a "
                "harmless version of a pathogen, or just one of its antigens, so that the body "
                "makes memory cells without having to fall ill. When the real pathogen arrives, "
                "the secondary response is ready.",
                "Some vaccines use a killed or a weakened virus. Others use only a protein from "
                "the surface of the virus. The newest kind, the messenger RNA vaccine, gives our "
                "own cells the recipe to make that protein for a short time.",
                "If enough people in a group are immune, a pathogen cannot find new hosts, and "
                "even those who cannot be vaccinated are protected. This effect is called herd "
                "immunity. For measles, which spreads very easily, about ninety five percent of "
                "people need to be immune.",
                "Here is a question for you. Why do we need a new flu vaccine every year, but "
                "only one measles vaccine in a lifetime? The answer is that the flu virus changes "
                "its surface antigens every year, so last year's memory cells no longer fit, "
                "while the measles virus hardly changes at all.",
                "To sum up, the barriers keep most germs out, innate immunity answers fast but "
                "without aim, and adaptive immunity answers slowly, precisely, and with a memory "
                "that vaccines put to use. If you remember one thing from today, remember that "
                "immune memory is the reason vaccines work.",
            ],
        ),
    ],
    terms=[
        "immune system",
        "mucus",
        "cilia",
        "lysozyme",
        "pathogen",
        "innate immunity",
        "phagocytosis",
        "phagocyte",
        "neutrophil",
        "macrophage",
        "inflammation",
        "fever",
        "complement system",
        "adaptive immunity",
        "antigen",
        "lymphocyte",
        "B cell",
        "T cell",
        "thymus",
        "lymph node",
        "clonal selection",
        "antigen presenting cell",
        "helper T cell",
        "plasma cell",
        "antibody",
        "neutralisation|neutralization",
        "primary response",
        "memory cell",
        "secondary response",
        "killer T cell|cytotoxic T cell",
        "cytokine",
        "autoimmunity",
        "allergy",
        "blood transfusion|transfusion",
        "blood group",
        "agglutination",
        "rhesus factor",
        "universal donor",
        "major histocompatibility complex|MHC",
        "rejection",
        "tissue type",
        "immunosuppressant",
        "vaccine",
        "messenger RNA vaccine|mRNA vaccine",
        "herd immunity",
    ],
    flagged=[
        "Why are you not ill all the time, when the air, your food and your hands carry millions "
        "of bacteria?",
        "A common mistake is to think that inflammation is the disease itself.",
        "Here is the key insight of the whole topic: the body does not design a new cell for each "
        "pathogen.",
        "How does the pathogen get shown to the right cell?",
        "What does an antibody actually do?",
        "Let us work through an example.",
        "Be careful not to mix up the two kinds of T cells in the exam.",
        "What happens if a patient of group A receives blood of group B?",
        "I want you to notice how the same defence can help or harm.",
        "Why do we need a new flu vaccine every year, but only one measles vaccine in a lifetime?",
        "To sum up, the barriers keep most germs out, innate immunity answers fast but without "
        "aim, and adaptive immunity answers slowly, precisely, and with a memory that vaccines put "
        "to use.",
        "If you remember one thing from today, remember that immune memory is the reason vaccines "
        "work.",
    ],
)

ZELLE = Lecture(
    name="zelle",
    title="Die Zelle",
    language="de",
    split="tuning",
    topics=[
        (
            "Zellaufbau",
            [
                "Guten Morgen. Heute sprechen wir über die Zelle. Die Zelle ist die kleinste "
                "Einheit des Lebens. Jede Zelle ist von einer dünnen Hülle umgeben, die man "
                "Zellmembran nennt. Im Inneren liegt der Zellkern, der die Erbinformation "
                "enthält.",
                "Das Wichtigste heute ist: ohne die Mitochondrien hätte die Zelle keine Energie. "
                "Die Mitochondrien werden auch die Kraftwerke der Zelle genannt.",
            ],
        ),
        (
            "Pflanzenzellen",
            [
                "Pflanzenzellen haben zusätzlich eine feste Zellwand aus Zellulose. Außerdem "
                "besitzen sie Chloroplasten, in denen die Fotosynthese stattfindet.",
                "Merken Sie sich für die Prüfung: nur Pflanzenzellen haben eine Zellwand und "
                "Chloroplasten. Zusammenfassend kann man sagen, dass alle Zellen eine Membran, "
                "einen Zellkern und Mitochondrien haben.",
            ],
        ),
    ],
    terms=[
        "Zelle",
        "Zellmembran",
        "Zellkern",
        "Erbinformation",
        "Mitochondrien",
        "Zellwand",
        "Zellulose",
        "Chloroplasten",
        "Fotosynthese|Photosynthese",
    ],
    flagged=[
        "Das Wichtigste heute ist: ohne die Mitochondrien hätte die Zelle keine Energie.",
        "Merken Sie sich für die Prüfung: nur Pflanzenzellen haben eine Zellwand und "
        "Chloroplasten.",
        "Zusammenfassend kann man sagen, dass alle Zellen eine Membran, einen Zellkern und "
        "Mitochondrien haben.",
    ],
)

SORTING = Lecture(
    name="sorting",
    title="Sorting algorithms",
    language="en",
    split="held-out",
    topics=[
        (
            "Simple sorts",
            [
                "Hello everyone. Today we look at how a computer puts a list in order. A method "
                "that does this is called a sorting algorithm. The simplest one is bubble sort: "
                "it walks along the list, swaps any two neighbours that are in the wrong order, "
                "and repeats until nothing moves.",
                "Another simple method is insertion sort, which takes the items one at a time and "
                "slides each one back to its place, the way you sort cards in your hand. Both "
                "methods need about n squared steps for a list of n items.",
            ],
        ),
        (
            "Divide and conquer",
            [
                "We can do much better with a strategy known as divide and conquer. Merge sort "
                "splits the list in half, sorts each half, and then merges the two sorted halves "
                "into one.",
                "Let us try an example with four numbers: eight, three, five and one. Merge sort "
                "splits them into eight and three, and five and one. Each pair is sorted to three "
                "and eight, and one and five. Merging gives one, three, five, eight.",
                "Quicksort picks one item, called the pivot, puts the smaller items to its left "
                "and the larger items to its right, and sorts both sides the same way.",
            ],
        ),
        (
            "Cost",
            [
                "How do we compare these methods? We count steps with big O notation. Merge sort "
                "always needs n log n steps, which is far fewer than n squared for a long list.",
                "The thing to take away from today is that no method that compares items can beat "
                "n log n in the worst case. Watch out for a classic trap: quicksort is fast on "
                "average, but with a bad pivot it falls back to n squared.",
            ],
        ),
    ],
    terms=[
        "sorting algorithm",
        "bubble sort",
        "insertion sort",
        "divide and conquer",
        "merge sort",
        "quicksort",
        "pivot",
        "big O notation",
        "n log n",
        "n squared",
    ],
    flagged=[
        "Let us try an example with four numbers: eight, three, five and one.",
        "How do we compare these methods?",
        "The thing to take away from today is that no method that compares items can beat n log n "
        "in the worst case.",
        "Watch out for a classic trap: quicksort is fast on average, but with a bad pivot it falls "
        "back to n squared.",
    ],
    slides=[
        "Simple sorts. Bubble sort, insertion sort",
        "Divide and conquer. Merge sort, quicksort and the pivot",
        "Cost. Big O notation, n log n",
    ],
)

ROME = Lecture(
    name="rome",
    title="The Roman Republic",
    language="en",
    split="held-out",
    long=True,
    topics=[
        (
            "Founding",
            [
                "Good morning, and welcome back. Today we leave the kings of early Rome behind and "
                "look at the five hundred years in which Rome governed itself without a king. This "
                "period is called the Roman Republic, and it lasted from about five hundred and "
                "nine before Christ until twenty seven before Christ.",
                "The story begins with a revolt. The last king, Tarquin the Proud, was hated for "
                "his cruelty, and the leading families of the city drove him out. The Romans "
                "swore that no king would ever rule them again, and for centuries the very word "
                "king was an insult in Rome.",
                "Instead of one ruler for life, the Romans chose two leaders every year, called "
                "consuls. Each consul could block the other, so that neither could become a king. "
                "The right of one official to stop another is known as the veto, which in Latin "
                "simply means I forbid.",
                "Why two consuls and not one? Because the founders feared one man's power more "
                "than anything else. Two leaders for one year only meant that power was always "
                "shared and never kept for long.",
            ],
        ),
        (
            "Institutions",
            [
                "Let us look at how the Republic was run. The most powerful body was the Senate, "
                "a council of about three hundred former officials who served for life. In theory "
                "the Senate only gave advice, but in practice the consuls almost always followed "
                "it.",
                "Below the consuls stood a ladder of offices, each held for one year. A young "
                "politician started as a quaestor, who looked after public money, then became an "
                "aedile, who cared for the streets, markets and games, and then a praetor, who "
                "judged cases in the courts. This ladder of offices is called the cursus honorum.",
                "The citizens themselves met in assemblies. In the assemblies the people voted on "
                "laws and elected the officials. But the votes were counted by groups, not by "
                "heads, and the groups of the rich voted first, so the wealthy usually decided "
                "before the poor had voted at all.",
                "In an emergency, such as an invasion, the Senate could ask for a dictator, a "
                "single leader with full power for at most six months. A common mistake is to "
                "think that a Roman dictator was a tyrant. The office was legal, limited in time, "
                "and most dictators gave up their power early.",
            ],
        ),
        (
            "Orders",
            [
                "Roman society was divided into two orders. The patricians were the old noble "
                "families, and at first only they could hold office. Everyone else, farmers, "
                "craftsmen and traders, belonged to the plebeians.",
                "The plebeians did most of the fighting in the army, but they had almost no say "
                "in the government. So they did something clever. They simply left the city and "
                "camped on a hill outside, refusing to work or to fight until their demands were "
                "met. This kind of strike is known as a secession of the plebs.",
                "The struggle between the two orders lasted about two hundred years, and it "
                "is called the Conflict of the Orders. Step by step the plebeians won. They got "
                "their own officials, the tribunes of the plebs, who could veto any act that "
                "harmed a plebeian.",
                "They also won written laws. Around four hundred and fifty before Christ the laws "
                "were carved on twelve bronze tablets and set up in the forum for everyone to "
                "read. These are the Twelve Tables, the first written law of Rome.",
                "Remember this for the exam: the Conflict of the Orders ended with plebeians able "
                "to hold every office, even the consulship.",
            ],
        ),
        (
            "Expansion",
            [
                "While it argued at home, Rome grew abroad. First it brought the rest of Italy "
                "under its control, often by making defeated cities into allies who had to send "
                "soldiers to the Roman army.",
                "Then Rome met its great rival, Carthage, a rich trading city in North Africa. "
                "Rome and Carthage fought three long wars, which are known as the Punic Wars. In "
                "the second of them the Carthaginian general Hannibal crossed the Alps with an "
                "army and war elephants and defeated the Romans again and again in Italy.",
                "Let us work through an example of how Rome won anyway. At the battle of Cannae, "
                "in two hundred and sixteen before Christ, Hannibal surrounded a much larger Roman "
                "army and destroyed it. Any other state would have asked for peace. Rome raised "
                "new armies, refused to negotiate, and in the end its general Scipio invaded "
                "Africa and defeated Hannibal at Zama.",
                "After the Punic Wars, Rome ruled the whole western Mediterranean. Conquered "
                "lands outside Italy were organised as provinces, each governed by a former "
                "consul or praetor, who often grew rich by squeezing the people he ruled.",
            ],
        ),
        (
            "Army",
            [
                "To understand how Rome grew, we have to look at its army. The basic unit of the Roman army was the legion, a force of about four to five thousand heavy foot soldiers. Each legion was split into smaller groups that could move on their own, which made it far more flexible than the solid blocks of its enemies.",
                "In the early Republic, only citizens who owned property could serve, and each soldier paid for his own armour and weapons. A soldier in the legion was called a legionary. He carried a large shield, a short sword and two heavy throwing spears.",
                "Every evening on the march, the legion built a fortified camp with a ditch and a wall of earth, even if it only stayed for one night. This habit made Roman armies very hard to surprise.",
                "Why did Rome's enemies find it so hard to win? Because Rome could always raise another army. Its allies in Italy had to send soldiers, so the number of men Rome could call on was far larger than that of any single enemy.",
                "The army was also a road to power. A general who won a great victory was allowed to lead his army through the city in a parade called a triumph, and a triumph was the greatest honour a Roman could win.",
            ],
        ),
        (
            "Family and religion",
            [
                "Before we turn to the crisis, a word about daily life. The Roman family was ruled by its oldest man, the father of the family, and his power over his children and slaves was almost without limit. This power is called the patria potestas, the power of the father.",
                "Families of high standing depended on a network of personal loyalty. A poor citizen, the client, visited his patron every morning, supported him in the elections, and in return received money, food and help in court. This system of favours is known as patronage.",
                "Roman religion was a matter of public duty rather than private belief. The state kept the gods on its side with the right sacrifices and prayers, performed exactly as tradition demanded. Before any battle or election, officials watched the flight of birds to learn the will of the gods, a practice called taking the auspices.",
                "The most sacred fire of the city burned in the temple of Vesta, guarded by six priestesses known as the Vestal Virgins. If the fire went out, the Romans feared that the city itself was in danger.",
                "Keep in mind that religion and politics were never separate in Rome. The same senators who led armies and passed laws also served as priests.",
            ],
        ),
        (
            "Crisis",
            [
                "Success brought its own problems. Conquest filled Rome with slaves and with "
                "wealth, and rich senators bought up huge farms worked by slaves, called "
                "latifundia. The small farmers who had been the backbone of the army lost their "
                "land and drifted into the city, poor and angry.",
                "Two brothers, the Gracchi, tried to help them. Tiberius Gracchus, a tribune, "
                "proposed giving public land to poor citizens. The senators saw him as a threat, "
                "and in one hundred and thirty three before Christ a mob of senators beat him to "
                "death. His brother Gaius met the same end ten years later.",
                "The key insight here is that from the Gracchi onward, Roman politics was "
                "settled by violence rather than by law.",
                "Next came the generals. The consul Marius opened the army to the poorest "
                "citizens and paid them himself. Soldiers now owed their loyalty to their "
                "general rather than to the Republic. This change is usually called the Marian "
                "reforms.",
                "What happens when armies are loyal to their generals? Civil war. Sulla, once an "
                "officer of Marius, marched his army on Rome itself, something no Roman had ever "
                "done, and made himself dictator with no time limit.",
            ],
        ),
        (
            "Fall",
            [
                "The last act belongs to Julius Caesar. Three powerful men, Caesar, Pompey and "
                "Crassus, made a private pact to share power. This alliance is known as the First "
                "Triumvirate. Caesar used it to win a command in Gaul, and after years of war he "
                "returned with a rich and loyal army.",
                "In forty nine before Christ the Senate ordered Caesar to give up his army. "
                "Instead, he led it across a small river called the Rubicon, the border of "
                "Italy, which the law forbade. Crossing the Rubicon started a civil war, and to "
                "this day the phrase means a step that cannot be undone.",
                "Caesar won the war and was named dictator for life. To many senators this was "
                "the return of a king, and on the Ides of March, forty four before Christ, a "
                "group of them stabbed him to death in the Senate.",
                "His adopted son Octavian won the wars that followed. In twenty seven before "
                "Christ the Senate gave him the name Augustus. He kept the old offices and the "
                "Senate, but all real power was his. Historians call his rule the principate, and "
                "it marks the start of the Roman Empire.",
                "So let us put it all together. The Republic was built to stop any one man from "
                "ruling, and it worked for centuries. It fell when conquest made generals richer "
                "and more powerful than the laws that were meant to hold them. The most important "
                "point of today is that the Republic was not destroyed from outside, but from "
                "within.",
            ],
        ),
    ],
    terms=[
        "Roman Republic",
        "Tarquin the Proud|Tarquin",
        "consul",
        "veto",
        "Senate",
        "quaestor",
        "aedile",
        "praetor",
        "cursus honorum",
        "assembly",
        "dictator",
        "patrician",
        "plebeian",
        "secession of the plebs|secession",
        "Conflict of the Orders",
        "tribunes of the plebs|tribune",
        "Twelve Tables",
        "legion",
        "legionary",
        "triumph",
        "patria potestas",
        "patron|client",
        "patronage",
        "auspices",
        "Vestal Virgins|Vesta",
        "Carthage",
        "Punic Wars",
        "Hannibal",
        "battle of Cannae|Cannae",
        "Scipio",
        "province",
        "latifundia",
        "Gracchi|Tiberius Gracchus",
        "Marian reforms",
        "Sulla",
        "Julius Caesar|Caesar",
        "First Triumvirate",
        "Rubicon",
        "Ides of March",
        "Octavian|Augustus",
        "principate",
        "Roman Empire",
    ],
    flagged=[
        "Why two consuls and not one?",
        "A common mistake is to think that a Roman dictator was a tyrant.",
        "Remember this for the exam: the Conflict of the Orders ended with plebeians able to hold "
        "every office, even the consulship.",
        "Why did Rome's enemies find it so hard to win?",
        "Keep in mind that religion and politics were never separate in Rome.",
        "Let us work through an example of how Rome won anyway.",
        "The key insight here is that from the Gracchi onward, Roman politics was settled by "
        "violence rather than by law.",
        "What happens when armies are loyal to their generals?",
        "So let us put it all together.",
        "The most important point of today is that the Republic was not destroyed from outside, "
        "but from within.",
    ],
)

THERMO = Lecture(
    name="thermo",
    title="La thermodynamique",
    language="fr",
    split="held-out",
    topics=[
        (
            "Énergie",
            [
                "Bonjour à tous. Aujourd'hui nous parlons de la thermodynamique. L'énergie "
                "interne est l'énergie totale des particules d'un système. Le premier principe de "
                "la thermodynamique dit que l'énergie se conserve: elle ne disparaît jamais, elle "
                "change seulement de forme.",
                "Ce qu'il faut retenir, c'est que la chaleur et le travail sont deux façons de "
                "transférer de l'énergie.",
            ],
        ),
        (
            "Entropie",
            [
                "Le deuxième principe introduit une grandeur appelée entropie. L'entropie mesure "
                "le désordre d'un système, et dans un système isolé elle ne peut qu'augmenter.",
                "Attention, une erreur fréquente est de croire qu'une machine thermique peut "
                "transformer toute la chaleur en travail. Le rendement d'une machine thermique "
                "est toujours inférieur à un. En résumé, l'énergie se conserve, mais l'entropie "
                "augmente.",
            ],
        ),
    ],
    terms=[
        "thermodynamique",
        "énergie interne",
        "premier principe",
        "chaleur",
        "travail",
        "deuxième principe|second principe",
        "entropie",
        "système isolé",
        "machine thermique",
        "rendement",
    ],
    flagged=[
        "Ce qu'il faut retenir, c'est que la chaleur et le travail sont deux façons de transférer "
        "de l'énergie.",
        "Attention, une erreur fréquente est de croire qu'une machine thermique peut transformer "
        "toute la chaleur en travail.",
        "En résumé, l'énergie se conserve, mais l'entropie augmente.",
    ],
)

BAYES = Lecture(
    name="bayes",
    title="Probability and Bayes",
    language="en",
    split="held-out",
    topics=[
        (
            "Probability",
            [
                "Good morning. Let us begin with chance. A probability is a number between zero "
                "and one that says how likely an event is. When one event can change the chance "
                "of another, we talk about conditional probability: the probability of A given "
                "B.",
                "Two events are independent when knowing one tells you nothing about the other, "
                "like two throws of a fair coin.",
            ],
        ),
        (
            "Bayes",
            [
                "Bayes theorem tells us how to turn the probability of B given A into the "
                "probability of A given B. What we believed before seeing the evidence is the "
                "prior, and what we believe after it is the posterior.",
                "This is the single most important idea of the course: the posterior depends on "
                "the prior, not only on the evidence.",
            ],
        ),
        (
            "Medical tests",
            [
                "Consider a worked example. A disease affects one person in a thousand. A test "
                "finds the disease in ninety nine percent of sick people, but it also gives a "
                "false positive for one percent of healthy people.",
                "If your test is positive, how likely is it that you are ill? Only about nine "
                "percent, because among a thousand people the one sick person is outnumbered by "
                "about ten false positives. Ignoring the prior like this is called the base rate "
                "fallacy, and it is something you should definitely know for the exam.",
            ],
        ),
    ],
    terms=[
        "probability",
        "conditional probability",
        "independent events|independent",
        "Bayes theorem",
        "prior",
        "posterior",
        "false positive",
        "base rate fallacy",
    ],
    flagged=[
        "This is the single most important idea of the course: the posterior depends on the "
        "prior, not only on the evidence.",
        "Consider a worked example.",
        "If your test is positive, how likely is it that you are ill?",
        "Ignoring the prior like this is called the base rate fallacy, and it is something you "
        "should definitely know for the exam.",
    ],
)

LECTURES = [TECTONICS, MARKETS, IMMUNITY, ZELLE, SORTING, ROME, THERMO, BAYES]
TUNING = [lecture for lecture in LECTURES if lecture.split == "tuning"]
HELD_OUT = [lecture for lecture in LECTURES if lecture.split == "held-out"]
